"""GET /v1/models: every plugin model and every passthrough model."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from router.deps import ApiKeyDep, ServicesDep
from router.errors import ModelNotFoundError

router = APIRouter()


def _model_object(model_id: str, created: int, owned_by: str, description: str = "") -> dict[str, Any]:
    data: dict[str, Any] = {"id": model_id, "object": "model", "created": created, "owned_by": owned_by}
    if description:
        data["description"] = description
    return data


@router.get("/v1/models")
async def list_models(principal: ApiKeyDep, services: ServicesDep) -> dict[str, Any]:
    data = [
        _model_object(spec.id, spec.created, spec.owned_by, spec.description) for spec in services.registry
    ]
    data += [_model_object(name, 0, "passthrough") for name in services.passthrough.model_names()]
    return {"object": "list", "data": data}


@router.get("/v1/models/{model_id}")
async def get_model(model_id: str, principal: ApiKeyDep, services: ServicesDep) -> dict[str, Any]:
    spec = services.registry.find(model_id)
    if spec is not None:
        return _model_object(spec.id, spec.created, spec.owned_by, spec.description)
    if services.passthrough.has_model(model_id):
        return _model_object(model_id, 0, "passthrough")
    raise ModelNotFoundError(f"The model '{model_id}' does not exist", param="model")
