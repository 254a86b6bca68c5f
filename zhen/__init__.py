"""Foundation shared by `mt`, `align`, `eval` and `service`: configuration, text handling, model store.

Nothing here imports `mt`, `align` or `service`; they import from here.
"""

__version__ = "0.1.0"
