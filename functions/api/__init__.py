"""The REST API: a FastAPI app (app.py) that Mangum serves on Lambda (handler.py) and uvicorn serves locally."""
