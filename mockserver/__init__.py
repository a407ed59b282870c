"""An offline twin of the OpenAI Images API, as a Flask app.

    from mockserver import create_app
    app = create_app(api_keys=("sk-test",))
"""

from typing import TYPE_CHECKING, Any

from mockserver.app import create_app
from mockserver.http.server import LiveServer
from mockserver.settings.config import Config, ConfigError

if TYPE_CHECKING:
    from mockserver.testing.handle import ControlError, FakeHandle
    from mockserver.testing.interception import intercept

__all__ = ["Config", "ConfigError", "ControlError", "FakeHandle", "LiveServer", "create_app", "intercept"]


def __getattr__(name: str) -> Any:
    # The test helpers pull in requests and httpx, which the server itself never needs:
    # import them only when asked for, so `python -m mockserver` starts lighter.
    if name == "FakeHandle":
        from mockserver.testing.handle import FakeHandle

        return FakeHandle
    if name == "ControlError":  # what FakeHandle's operations raise when the fake refuses
        from mockserver.testing.handle import ControlError

        return ControlError
    if name == "intercept":
        from mockserver.testing.interception import intercept

        return intercept
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
