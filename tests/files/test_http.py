"""The pipeline behind real multipart requests, through a small app of its own (routes belong to other packages)."""

from urllib.parse import unquote

import httpx
import pytest
from fastapi import FastAPI, UploadFile

from app.errors import install_error_handlers
from app.files import service
from app.files.models import StoredFile
from tests.files import samples


@pytest.fixture
async def files_client(app):   # `app` keeps the session's database open
    api = FastAPI()
    install_error_handlers(api)
    stored: dict[str, StoredFile] = {}

    @api.post("/api/files")
    async def upload(file: UploadFile) -> dict:
        result = await service.store_upload(file, allowed={"pdf", "jpeg", "png"}, max_bytes=1024 * 1024,
                                            field="licence", metadata={"purpose": "licence"})
        stored[str(result.file_id)] = result
        return result.model_dump(mode="json")

    @api.get("/api/files/{file_id}")
    async def download(file_id: str):
        return await service.download_response(stored[file_id], inline=False)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://testserver") as http:
        yield http


async def test_refusal_has_the_error_body(files_client):
    response = await files_client.post("/api/files", files={"file": ("营业执照.pdf", samples.html(), "application/pdf")})
    assert response.status_code == 422
    assert response.json() == {"code": "file_type_not_allowed", "field": "licence",
                               "message": "文件类型不符合要求，只能上传 PDF、JPG、PNG 文件"}


async def test_too_large(files_client):
    big = samples.pdf(1, padding=2 * 1024 * 1024)
    response = await files_client.post("/api/files", files={"file": ("a.pdf", big)})
    assert response.status_code == 422
    assert response.json()["message"] == "文件不能超过 1 MB"


async def test_upload_then_download(files_client):
    data = samples.pdf(3)
    response = await files_client.post("/api/files", files={"file": ("职称 申报表.pdf", data, "text/html")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["filename"], body["kind"], body["pages"], body["content_type"]) == \
        ("职称 申报表.pdf", "pdf", 3, "application/pdf")

    response = await files_client.get(f"/api/files/{body['file_id']}")
    assert response.status_code == 200 and response.content == data
    assert response.headers["content-length"] == str(len(data))
    disposition = response.headers["content-disposition"]
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "职称 申报表.pdf"
