"""The real Images API's refusals, as data: every way the service says "no" to a request.

Each entry's ``source`` and ``assumption`` use the tags of ``docs/sources.md``; ``docs/errors.md``
explains every entry by its situation. The fake's own refusals (its edge and its control plane,
which the real service answers otherwise or not at all) are in :mod:`contracts.fake_errors`;
:mod:`contracts.errors` gathers both into the catalogue.
"""

from __future__ import annotations

from contracts.envelope import ErrorSpec, Wording

_IRE = "invalid_request_error"
HELP_HINT = (
    "(HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API "
    "expects a JSON payload, but what was sent was not valid JSON. If you have trouble "
    "figuring out how to fix this, please contact us through our help center at "
    "help.openai.com.)"
)

API_ERRORS: tuple[ErrorSpec, ...] = (
    # --- transport, routing, auth --------------------------------------------------
    ErrorSpec(
        "invalid_json", 400, _IRE,
        Wording(f"We could not parse the JSON body of your request. {HELP_HINT}", None, None),
        source="[obs] the JSON parse error with its HINT sentence; also for a string holding a lone "
        "surrogate (\\ud800), which no UTF-8 text can carry (ASSUMPTION: the real API's strict parser refuses it)",
    ),
    ErrorSpec(
        "json_too_deep", 400, _IRE,
        Wording(
            "We could not parse the JSON body of your request: its arrays and objects nest deeper "
            f"than {{max_depth}} levels. {HELP_HINT}",
            None, None,
        ),
        assumption="the real parser's depth limit is not published (contracts.limits.MAX_JSON_DEPTH is "
        "ours); refused as unparseable, as invalid_json (status, type, code and param alike), the "
        "message naming the depth",
    ),
    ErrorSpec(
        "invalid_url", 404, _IRE,
        Wording("Invalid URL ({method} {path})", None, None),
        source="[obs] an unknown path, method and path echoed; also for a known path called with the "
        "wrong method [obs] "
        "'Invalid URL (GET /v1/images/generations)'",
    ),
    ErrorSpec(
        "body_too_large", 413, _IRE,
        Wording(
            "Request body too large: the maximum is {max_bytes} bytes, "
            "but the request has {length} bytes or more.",
            None, None,
        ),
        assumption="the real edge's 413 body was never captured; status 413, the envelope "
        "and this text are ours",
    ),
    ErrorSpec(
        "too_many_parts", 413, _IRE,
        Wording(
            "Request has too many parts: the maximum is {max_parts} parts in a multipart/form-data body.",
            None, None,
        ),
        assumption="not captured; the fake's guard, worded as body_too_large",
    ),
    ErrorSpec(
        "form_field_too_large", 413, _IRE,
        Wording(
            "Request has a form field that is too large: the maximum is {max_bytes} bytes for a "
            "text field of a multipart/form-data body.",
            None, None,
        ),
        assumption="not captured; the fake's guard, worded as body_too_large",
    ),
    ErrorSpec(
        "invalid_multipart", 400, _IRE,
        Wording(
            "We could not parse the multipart/form-data body of your request. Make sure "
            "the Content-Type header carries the boundary and the body is complete.",
            None, None,
        ),
        assumption="text not captured; modelled on the JSON parse error",
    ),
    ErrorSpec(
        "not_multipart", 400, _IRE,
        Wording(
            "Invalid Content-Type header ({content_type}), expected multipart/form-data. "
            "(HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')",
            None, None,
        ),
        assumption="remembered from the audio/file endpoints, not captured for images",
    ),
    ErrorSpec(
        "missing_api_key", 401, _IRE,
        Wording(
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). ",
            None, None,
        ),
        legacy=Wording(
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
            "or as the password field (with blank username) if you're accessing the API "
            "from your browser and are prompted for a username and password. You can "
            "obtain an API key from https://platform.openai.com/account/api-keys.",
            None, None,
        ),
        source="[obs] a request without a key (the trailing space is in the capture); also for a malformed "
        "Authorization header, and for a scheme not written `Bearer` (`bearer <key>`: [obs] refused, "
        "see contracts.auth.bearer_token; ASSUMPTION: with this 401)",
    ),
    ErrorSpec(
        "invalid_api_key", 401, _IRE,
        Wording(
            "Incorrect API key provided: {masked_key}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "invalid_api_key", None,
        ),
        source="[obs] a wrong key, partly masked",
        assumption="the masking width (see contracts.auth.mask_key)",
    ),
    # --- request validation ---------------------------------------------------------
    ErrorSpec(
        "unknown_parameter", 400, _IRE,
        Wording("Unknown parameter: '{param}'.", "unknown_parameter", "{param}"),
        legacy=Wording("Unrecognized request argument supplied: {param}", None, None),
        source="[obs] a parameter the model does not take (quality to dall-e-2, 2025; other models alike)",
        assumption="the legacy wording is from other endpoints (2023)",
    ),
    ErrorSpec(
        "missing_required_parameter", 400, _IRE,
        Wording("Missing required parameter: '{param}'.", "missing_required_parameter", "{param}"),
        legacy=Wording("'{param}' is a required property", None, None),
        source="[obs] the 2022 \"'image' is a required property\" for the legacy wording",
        assumption="the current wording and code (UNCERTAIN: never captured)",
    ),
    ErrorSpec(
        "invalid_type", 400, _IRE,
        Wording(
            "Invalid type for '{param}': expected {expected}, but got {got} instead.",
            "invalid_type", "{param}",
        ),
        legacy=Wording("{value} is not of type '{schema_type}' - '{param}'", None, None),
        source="[3p] a size of the wrong JSON type through a gateway; the same wording on other endpoints [obs]",
        assumption="the legacy wording follows the JSON-Schema style of the legacy size and n errors",
    ),
    ErrorSpec(
        "invalid_value", 400, _IRE,
        Wording(
            "Invalid value: {value}. Supported values are: {supported}.",
            "invalid_value", "{param}",
        ),
        legacy=Wording("{value} is not one of {supported_list} - '{param}'", None, None),
        source="[obs] an unsupported size: 'Invalid value: ...' (current), "
        "\"... is not one of [...] - 'size'\" (legacy)",
    ),
    ErrorSpec(
        "empty_string", 400, _IRE,
        Wording(
            "Invalid '{param}': empty string. Expected a string with minimum length 1, "
            "but got an empty string instead.",
            "empty_string", "{param}",
        ),
        legacy=Wording("'' is too short - '{param}'", None, None),
        source="[obs] an empty prompt (short form in logs; the full text [3p])",
        assumption="the legacy wording follows the JSON-Schema style of the legacy size error",
    ),
    ErrorSpec(
        "string_above_max_length", 400, _IRE,
        Wording(
            "Invalid '{param}': string too long. Expected a string with maximum length "
            "{maximum}, but got a string with length {length} instead.",
            "string_above_max_length", "{param}",
        ),
        legacy=Wording(
            "Prompt must be length {maximum} or less. Your prompt length is {length}. "
            "Please reduce your prompt length.",
            None, None,
        ),
        source="[obs] a prompt too long: 'string too long' (current), 'Prompt must be length 1000 or less' (legacy)",
    ),
    ErrorSpec(
        "integer_above_max_value", 400, _IRE,
        Wording(
            "Invalid '{param}': integer above maximum value. Expected a value <= {maximum}, "
            "but got {value} instead.",
            "integer_above_max_value", "{param}",
        ),
        legacy=Wording("{value} is greater than the maximum of {maximum} - '{param}'", None, None),
        source="[3p] n out of range (current), [obs] \"15 is greater than the maximum of 10 - 'n'\" (legacy)",
    ),
    ErrorSpec(
        "integer_below_min_value", 400, _IRE,
        Wording(
            "Invalid '{param}': integer below minimum value. Expected a value >= {minimum}, "
            "but got {value} instead.",
            "integer_below_min_value", "{param}",
        ),
        legacy=Wording("{value} is less than the minimum of {minimum} - '{param}'", None, None),
        source="[3p] n out of range (current), [obs] \"15 is greater than the maximum of 10 - 'n'\" (legacy)",
    ),
    # --- uploads (dall-e-2) ------------------------------------------------------------
    ErrorSpec(
        "invalid_image_format", 400, _IRE,
        Wording("Uploaded image must be a PNG and less than {max_mb} MB.", "invalid_image_format", None),
        legacy=Wording("Uploaded image must be a PNG and less than {max_mb} MB.", None, None),
        source="[obs] a non-PNG or 4 MB upload, 2022 (code null) and 2024 (code invalid_image_format); used for "
        "the mask too, and for an empty, truncated or corrupt PNG (ASSUMPTION)",
    ),
    ErrorSpec(
        "image_not_square", 400, _IRE,
        Wording(
            "Invalid input image - expected an image with equal width and height, "
            "got {width}x{height} instead.",
            None, None,
        ),
        source="[obs] a non-square upload, dimensions echoed",
        assumption="code and param (null here)",
    ),
    ErrorSpec(
        "image_mode", 400, _IRE,
        Wording("Invalid input image - format must be in {modes}, got {mode}.", None, None),
        legacy=Wording("Invalid input image - format must be in ['RGBA'], got {mode}.", None, None),
        source="[obs] an edit image without transparency; the image without a mask, or the mask itself",
        assumption="code and param (null here)",
    ),
    ErrorSpec(
        "mask_size_mismatch", 400, _IRE,
        Wording(
            "Invalid mask image - expected a mask with the same dimensions as the image "
            "({image_size}), got {mask_size} instead.",
            None, None,
        ),
        assumption="no capture exists; the wording follows the non-square error",
    ),
    ErrorSpec(
        "image_too_large", 400, _IRE,
        Wording(
            "Invalid input image - expected at most {max_pixels} pixels, "
            "got {width}x{height} instead.",
            None, None,
        ),
        assumption="no capture; the fake's guard against decompression bombs",
    ),
    ErrorSpec(
        "array_above_max_length", 400, _IRE,
        Wording(
            "Invalid '{param}': array too long. Expected an array with maximum length "
            "{maximum}, but got an array with length {length} instead.",
            "array_above_max_length", "{param}",
        ),
        assumption="more than one image to dall-e-2, more than 16 to a GPT model (multipart "
        "image[] or JSON images): not captured; the current validator's array wording",
    ),
    # --- uploads and image references (GPT image models) ---------------------------------
    ErrorSpec(
        "unsupported_file_mimetype", 400, _IRE,
        Wording(
            "Invalid file '{param}': unsupported mimetype ('{mimetype}'). Supported file formats "
            "are {supported}.",
            "unsupported_file_mimetype", "{param}",
        ),
        source="[obs] (bytes sent as application/octet-stream to a GPT model)",
        assumption="param 'image' for a single part as captured; 'image[<i>]' for the i-th "
        "(0-based) part of an image[] array, as one proxy saw 'image[0]'; 'mask' for the mask; "
        "for a data: URL of another media type, 'images[<i>].image_url'",
    ),
    ErrorSpec(
        "invalid_image_file", 400, _IRE,
        Wording(
            "Invalid image file or mode for image {index}, please check your image file. If you "
            "believe this is an error, contact us at help.openai.com and include the request ID "
            "{request_id}.",
            "invalid_image_file", None,
        ),
        source="[obs via proxies] an undecodable, truncated or MPO image to a GPT model",
        assumption="the type (invalid_request_error) and param (null); 'image 1' is the first "
        "image (1-based); also for an image in a mode the model does not read (CMYK JPEG)",
    ),
    ErrorSpec(
        "image_file_too_large", 400, _IRE,
        Wording(
            "Invalid file '{param}': file too large ({size} bytes). The maximum file size is "
            "{max_mb} MB.",
            "image_file_too_large", "{param}",
        ),
        assumption="no capture of an upload over the GPT models' 50 MB limit ([spec] 'less "
        "than 50MB'); text, code and param are ours, in the style of unsupported_file_mimetype",
    ),
    ErrorSpec(
        "image_too_many_pixels", 400, _IRE,
        Wording(
            "Invalid image file for image {index}: expected at most {max_pixels} pixels, "
            "got {width}x{height} instead.",
            "invalid_image_file", None,
        ),
        assumption="no public pixel limit for GPT inputs; the fake's guard against "
        "decompression bombs, worded as invalid_image_file",
    ),
    ErrorSpec(
        "mask_missing_alpha", 400, "image_generation_user_error",
        Wording(
            "Invalid mask image format - mask image missing alpha channel",
            "invalid_mask_image_format", None,
        ),
        source="[obs via relay] a GPT mask without alpha",
        assumption="param (null)",
    ),
    ErrorSpec(
        "mask_size_mismatch_gpt", 400, "image_generation_user_error",
        Wording(
            "Invalid mask image format - mask size does not match image size",
            "invalid_mask_image_format", None,
        ),
        source="[3p] a GPT mask of another size than the image",
        assumption="param (null)",
    ),
    ErrorSpec(
        "mask_not_png", 400, "image_generation_user_error",
        Wording(
            "Invalid mask image format - mask image must be a valid PNG file",
            "invalid_mask_image_format", None,
        ),
        source="[spec] the mask 'Must be a valid PNG file'",
        assumption="the text: no capture of a mask in another format, or a damaged one",
    ),
    # [sdk-py image_edit_params.py] markup: "A transparent PNG [...] Must match that image's dimensions after
    # orientation and contain transparent pixels. [...] Cannot be combined with mask."
    ErrorSpec(
        "markup_missing_alpha", 400, "image_generation_user_error",
        Wording(
            "Invalid markup image format - markup image missing alpha channel",
            "invalid_markup_image_format", None,
        ),
        source="[sdk-py] the markup must 'contain transparent pixels'",
        assumption="no capture: the wording, type and param of mask_missing_alpha, the code named for markup",
    ),
    ErrorSpec(
        "markup_size_mismatch", 400, "image_generation_user_error",
        Wording(
            "Invalid markup image format - markup size does not match image size",
            "invalid_markup_image_format", None,
        ),
        source="[sdk-py] the markup 'Must match that image's dimensions'",
        assumption="no capture: the wording, type and param of mask_size_mismatch_gpt, the code named for markup",
    ),
    ErrorSpec(
        "markup_not_png", 400, "image_generation_user_error",
        Wording(
            "Invalid markup image format - markup image must be a valid PNG file",
            "invalid_markup_image_format", None,
        ),
        source="[sdk-py] the markup is 'A transparent PNG'",
        assumption="no capture: the wording, type and param of mask_not_png, the code named for markup",
    ),
    ErrorSpec(
        "markup_with_mask", 400, _IRE,
        Wording(
            "Unsupported parameter: 'markup' cannot be combined with 'mask'.",
            "unsupported_parameter", "markup",
        ),
        source="[sdk-py] markup 'Cannot be combined with mask'",
        assumption="the text, code and param (the wording of parameter_needs_format)",
    ),
    ErrorSpec(
        "invalid_image_url", 400, _IRE,
        Wording("Error while downloading {url}.", "invalid_image_url", None),
        source="[obs] chat completions' image inputs: 'Timeout while downloading <url>.' with "
        "code invalid_image_url, param null",
        assumption="the same wording for an image edit's images[].image_url or mask.image_url "
        "the fake cannot fetch: a URL that is not one of its own live image URLs (the fake "
        "never makes a network call), or one of its own that expired, was tampered with or "
        "is gone",
    ),
    ErrorSpec(
        "invalid_data_url", 400, _IRE,
        Wording(
            "Invalid image_url for '{param}': expected a base64-encoded data URL of an image "
            "(data:image/png;base64,...).",
            "invalid_image_url", "{param}",
        ),
        assumption="no capture of a malformed data: URL; text and param are ours",
    ),
    ErrorSpec(
        "file_not_found", 400, _IRE,
        Wording("No such File object: {file_id}", None, "{param}"),
        source="[obs] the Files API's 404 for an unknown id: 'No such File object: file-...', "
        "param 'id', code null",
        assumption="status 400 and param 'images[<i>].file_id' when an edit names a file_id: the "
        "fake has no Files API, so every file_id is unknown to it",
    ),
    ErrorSpec(
        "image_ref_one_of", 400, _IRE,
        Wording(
            "Invalid '{param}': expected exactly one of 'image_url' or 'file_id'.",
            "invalid_value", "{param}",
        ),
        source="[spec] ImageRefParam: exactly one of image_url or file_id",
        assumption="text and code: no capture",
    ),
    ErrorSpec(
        "array_below_min_length", 400, _IRE,
        Wording(
            "Invalid '{param}': empty array. Expected an array with minimum length {minimum}, "
            "but got an empty array instead.",
            "empty_array", "{param}",
        ),
        source="[spec] images minItems 1",
        assumption="text and code follow the empty_string wording of an empty prompt",
    ),
    # --- today's models: sizes, formats and their combinations --------------------------
    ErrorSpec(
        "invalid_size", 400, _IRE,
        Wording("The size is not supported by this model.", "invalid_size", None),
        source="[obs] dall-e-3 with a size it does not take (2024, public client issues)",
    ),
    ErrorSpec(
        "size_not_wxh", 400, _IRE,
        Wording(
            "Invalid value: {value}. Supported values are: {supported}, or a size WIDTHxHEIGHT "
            "such as '1536x864'.",
            "invalid_value", "size",
        ),
        assumption="a free-form-size model given a size that is no WIDTHxHEIGHT: not captured; "
        "the invalid_value wording of a GPT model's size refusal with the free-form rule appended",
    ),
    ErrorSpec(
        "size_not_multiple", 400, _IRE,
        Wording(
            "Invalid size {value}: width and height must both be divisible by {multiple}.",
            "invalid_value", "size",
        ),
        assumption="not captured; the rule's wording from the spec's size description",
    ),
    ErrorSpec(
        "size_ratio", 400, _IRE,
        Wording(
            "Invalid size {value}: the aspect ratio must be between 1:{max_ratio} and {max_ratio}:1.",
            "invalid_value", "size",
        ),
        assumption="not captured; the rule's wording from the spec's size description",
    ),
    ErrorSpec(
        "size_edge", 400, _IRE,
        Wording(
            "Invalid size {value}: neither side may be longer than {max_edge} pixels.",
            "invalid_value", "size",
        ),
        assumption="not captured; the spec: 'the maximum supported resolution is 3840x2160'",
    ),
    ErrorSpec(
        "size_pixels", 400, _IRE,
        Wording(
            "Invalid size {value}: the image must have between {min_pixels} and {max_pixels} "
            "pixels, got {pixels}.",
            "invalid_value", "size",
        ),
        assumption="not captured; the guide's pixel limits in the spec's wording",
    ),
    ErrorSpec(
        "gif_size", 400, _IRE,
        Wording(
            "Invalid size {value} for output_format=gif: neither side may be longer than "
            "{max_edge} pixels.",
            "invalid_value", "size",
        ),
        assumption="[sdk-py] 'the requested size must satisfy the model's GIF size limits'; "
        "the limit and this text are ours",
    ),
    ErrorSpec(
        "transparent_unsupported", 400, "image_generation_user_error",
        Wording("Transparent background is not supported for this model.", "invalid_value", "background"),
        source="[obs via proxies] transparent background refused for gpt-image-2 (2026)",
        assumption="param (UNCERTAIN in the capture)",
    ),
    ErrorSpec(
        "transparent_format", 400, "image_generation_user_error",
        Wording(
            "Transparent background is not supported for output format {output_format}. "
            "Use {formats}.",
            "invalid_value", "background",
        ),
        assumption="[spec] 'When using transparent, set the output format to png or webp'; the "
        "refusal's text is ours, its type and code those of the transparent-background refusal",
    ),
    ErrorSpec(
        "compression_format", 400, _IRE,
        Wording(
            "Compression less than {maximum} is not supported for {format_upper} output format.",
            "invalid_value", "output_compression",
        ),
        assumption="[spec] output_compression is for jpeg and webp only (default 100); text "
        "remembered from gpt-image-1 answers, not captured; 100 itself is accepted with any format",
    ),
    ErrorSpec(
        "parameter_needs_format", 400, _IRE,
        Wording(
            "Unsupported parameter: {param_quoted} is only supported with output_format={output_format}.",
            "unsupported_parameter", "{param}",
        ),
        assumption="[sdk-py] frame_count, frame_duration_ms 'only supported with output_format=gif', "
        "svg 'requires output_format=svg'; the wording of other endpoints' unsupported_parameter",
    ),
    ErrorSpec(
        "gif_mask", 400, _IRE,
        Wording(
            "Unsupported parameter: 'mask' is not supported with output_format=gif.",
            "unsupported_parameter", "mask",
        ),
        source="[sdk-py] 'GIF output does not support streaming, partial images, masks, or custom output "
        "compression'",
        assumption="the text, code and param (the wording of parameter_needs_format)",
    ),
    ErrorSpec(
        "svg_n", 400, _IRE,
        Wording(
            "Unsupported value: 'n' does not support {n} with output_format=svg. "
            "Only {maximum} is supported.",
            "unsupported_value", "n",
        ),
        assumption="[sdk-py] 'SVG generation requires n=1'; the wording of other endpoints' "
        "unsupported_value",
    ),
    # --- the timeline (--as-of) ------------------------------------------------------------------
    ErrorSpec(
        "model_retired", 404, _IRE,
        Wording(
            "The model `{model}` has been deprecated, learn more here: "
            "https://platform.openai.com/docs/deprecations",
            "model_not_found", None,
        ),
        assumption="no capture for an image model: the answer the API gave for shut-down models "
        "elsewhere (the completions models, 2024), status 404, code model_not_found",
    ),
    # --- streaming (stream: true) ------------------------------------------------------------
    ErrorSpec(
        "parameter_needs_stream", 400, _IRE,
        Wording(
            "Unsupported parameter: {param_quoted} is only supported with stream=true.",
            "unsupported_parameter", "{param}",
        ),
        assumption="[spec] partial_images is 'used for streaming responses'; that it is refused "
        "without stream, and this text (the wording of parameter_needs_format), are ours",
    ),
    ErrorSpec(
        "stream_format", 400, _IRE,
        Wording(
            "Unsupported value: 'stream' does not support true with output_format={output_format}. "
            "Streamed images can be {formats}.",
            "unsupported_value", "stream",
        ),
        source="[sdk-py] 'GIF output does not support streaming, partial images, ...', 'SVG generation "
        "... does not support streaming, partial images'; [spec] stream events carry png, webp or jpeg",
        assumption="the text, code and param (the wording of svg_n)",
    ),
    # --- today's models: safety and access ------------------------------------------------
    ErrorSpec(
        "moderation_blocked", 400, "image_generation_user_error",
        Wording(
            "Your request was rejected by the safety system. If you believe this is an error, "
            "contact us at help.openai.com and include the request ID {request_id}. "
            "safety_violations=[{violations}].",
            "moderation_blocked", None,
        ),
        source="[obs] the GPT moderation refusal (message, type, code); [guide] moderation_details "
        "{moderation_stage: input|output|unknown, categories}",
        assumption="the categories of several violations are joined with ', '",
        extra=("moderation_details",),
    ),
    ErrorSpec(
        "organization_must_be_verified", 403, _IRE,
        Wording(
            "Your organization must be verified to use the model `{model}`. Please go to: "
            "https://platform.openai.com/settings/organization/general and click on Verify "
            "Organization. If you just verified, it can take up to 15 minutes for access to "
            "propagate.",
            "organization_must_be_verified", None,
        ),
        source="[obs] the unverified-organization refusal (message, status); the code [3p]",
        assumption="the type (invalid_request_error)",
    ),
    # --- policy, quota, service ---------------------------------------------------------
    ErrorSpec(
        "content_policy_prompt", 400, _IRE,
        Wording(
            "Your request was rejected as a result of our safety system. Your prompt may "
            "contain text that is not allowed by our safety system.",
            "content_policy_violation", None,
        ),
        source="[obs] a prompt refused by the safety system",
    ),
    ErrorSpec(
        "content_policy_image", 400, _IRE,
        Wording(
            "Your input image may contain content that is not allowed by our safety system.",
            "content_policy_violation", None,
        ),
        source="[obs] an edit's input image refused by the safety system",
        assumption="the code (content_policy_violation, as for prompts)",
    ),
    ErrorSpec(
        "rate_limit_exceeded", 429, "requests",
        Wording(
            "Rate limit exceeded for images per minute in organization {organization}. "
            "Limit: {limit}/{window}. Current: {current}/{window}. Please visit "
            "https://platform.openai.com/docs/guides/rate-limits to learn how to increase "
            "your rate limit.",
            "rate_limit_exceeded", None,
        ),
        source="[obs] the images-per-minute 429 in an SDK traceback",
    ),
    ErrorSpec(
        "insufficient_quota", 429, "insufficient_quota",
        Wording(
            "You exceeded your current quota, please check your plan and billing details. "
            "For more information on this error, read the docs: "
            "https://platform.openai.com/docs/guides/error-codes/api-errors.",
            "insufficient_quota", None,
        ),
        source="[obs] an account out of credit",
    ),
    ErrorSpec(
        "billing_hard_limit_reached", 400, _IRE,
        Wording("Billing hard limit has been reached", "billing_hard_limit_reached", None),
        source="[obs] the 2022-23 billing hard limit",
    ),
    ErrorSpec(
        "server_error", 500, "server_error",
        Wording(
            "The server had an error while processing your request. Sorry about that!",
            None, None,
        ),
        source="[obs] a server error",
    ),
    ErrorSpec(
        "overloaded", 503, "server_error",
        Wording("The engine is currently overloaded, please try again later.", None, None),
        source="[help] the help centre's list of error codes",
        assumption="type server_error",
    ),
)
