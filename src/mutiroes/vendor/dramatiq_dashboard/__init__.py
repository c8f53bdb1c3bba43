from .application import DashboardApp
from .middleware import make_wsgi_middleware

__all__ = ["DashboardApp", "make_wsgi_middleware"]
__version__ = "0.4.0"
