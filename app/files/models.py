"""The reference a document keeps to a file in GridFS, and the kinds of file the service accepts."""

from enum import StrEnum

from beanie import PydanticObjectId
from pydantic import BaseModel


class FileKind(StrEnum):
    pdf = "pdf"
    jpeg = "jpeg"
    png = "png"
    gif = "gif"

    @property
    def content_type(self) -> str:
        return "application/pdf" if self is FileKind.pdf else f"image/{self.value}"

    @property
    def extension(self) -> str:
        return ".jpg" if self is FileKind.jpeg else f".{self.value}"

    @property
    def label(self) -> str:
        """How the kind is named to people in messages."""
        return "JPG" if self is FileKind.jpeg else self.value.upper()


class StoredFile(BaseModel):
    """Embedded where a file is referenced; file_id is the GridFS id, the other fields describe what is stored."""

    file_id: PydanticObjectId
    filename: str
    content_type: str
    size: int
    sha256: str
    kind: FileKind
    pages: int = 1
