"""The fake's state and behaviour, with no HTTP in it.

A :class:`Backend` owns one fake's clock, configuration, image store and URL
signer. Views parse a request into a :class:`contracts.ImageRequest`, hand it
here, and serialise what comes back.
"""

from __future__ import annotations

import base64
import threading

from contracts.errors import error, mask_key
from contracts.rules import ImageRequest
from contracts.spec import parse_size
from mockserver.clock import Clock
from mockserver.config import Config
from mockserver.files import UrlSigner, new_image_id, user_segment
from mockserver.render import Recipe, render
from mockserver.store import ImageStore


class Backend:
    def __init__(self, config: Config, *, clock: Clock | None = None) -> None:
        config.validate()
        self._config = config
        self._lock = threading.Lock()
        self.clock = clock or Clock()
        self.signer = UrlSigner(config.secret)
        self.store = ImageStore(max_images=config.store_max_images, max_bytes=config.store_max_bytes)

    @property
    def config(self) -> Config:
        return self._config

    def configure(self, **changes: object) -> Config:
        """Swap in a changed configuration; a bad value raises ValueError and changes nothing."""
        with self._lock:
            new = self._config.replace(**changes)
            self._config = new
            self.store.max_images = new.store_max_images
            self.store.max_bytes = new.store_max_bytes
            return new

    def reset(self) -> None:
        """Forget every image; keep the configuration."""
        self.store.clear()

    # --- the API ----------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> str:
        """The API key of an ``Authorization`` header, or the catalogued 401."""
        scheme, _, key = (authorization or "").strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise error("missing_api_key")
        allowed = self._config.api_keys
        if allowed and key not in allowed:
            raise error("invalid_api_key", masked_key=mask_key(key))
        return key

    def create_images(self, req: ImageRequest, *, api_key: str, base_url: str) -> dict[str, object]:
        """Answer a valid request: ``{"created": ..., "data": [...]}`` with ``n`` images."""
        config = self._config
        created = int(self.clock.now())
        width, height = parse_size(req.size)
        recipes = [
            Recipe(
                endpoint=req.endpoint,
                model=req.model.name,
                prompt=req.prompt,
                width=width,
                height=height,
                index=i,
                n=req.n,
                image=req.image,
                mask=req.mask,
            )
            for i in range(req.n)
        ]
        if req.response_format == "b64_json":
            data = [{"b64_json": base64.b64encode(render(r)).decode("ascii")} for r in recipes]
        else:
            base = (config.public_base_url or base_url).rstrip("/")
            folder = f"/private/{config.organization}/user-{user_segment(api_key)}"
            data = []
            for recipe in recipes:
                image_id = new_image_id()
                path = f"{folder}/img-{image_id}.png"
                self.store.add(
                    image_id, recipe, expires_at=created + config.url_ttl, now=self.clock.now()
                )
                query = self.signer.sign(path, created, config.url_ttl)
                data.append({"url": f"{base}{path}?{query}"})
        return {"created": created, "data": data}
