"""ASGI entry point: ``uvicorn main:app``."""

from heatcases.app import create_app

app = create_app()
