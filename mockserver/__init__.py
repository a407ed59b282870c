"""An offline twin of the OpenAI Images API, as a Flask app.

    from mockserver import create_app
    app = create_app(api_keys=("sk-test",))
"""

from mockserver.app import create_app
from mockserver.config import Config
from mockserver.handle import FakeHandle
from mockserver.intercept import intercept
from mockserver.server import LiveServer

__all__ = ["Config", "FakeHandle", "LiveServer", "create_app", "intercept"]
