"""The OpenAI Images API contract as data: models, errors, rules and shapes.

The one place where a limit, size, default or error text is written. The fake
(`mockserver`), the reference client (`client`) and the tests all read it.
"""

from contracts.envelope import ErrorSpec
from contracts.errors import CATALOGUE, ApiError, error
from contracts.models import EDITS, GENERATIONS, MODELS, VARIATIONS, ModelProfile
from contracts.rules import ImageRequest, Upload, parse_form_request, parse_json_request
from contracts.spec import ENDPOINTS, REAL_BASE_URL, Endpoint

__all__ = [
    "CATALOGUE",
    "EDITS",
    "ENDPOINTS",
    "GENERATIONS",
    "MODELS",
    "REAL_BASE_URL",
    "VARIATIONS",
    "ApiError",
    "Endpoint",
    "ErrorSpec",
    "ImageRequest",
    "ModelProfile",
    "Upload",
    "error",
    "parse_form_request",
    "parse_json_request",
]
