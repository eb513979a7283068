"""Domain exceptions of the storage layer; `str(exc)` is a polite Vietnamese message for the user."""

from __future__ import annotations


class StorageError(Exception):
    """Base class; the message is safe to show to a user."""

    default = "Đã có lỗi khi lưu dữ liệu, anh/chị vui lòng thử lại sau."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default)


class NotFound(StorageError):
    default = "Không tìm thấy dữ liệu anh/chị yêu cầu."


class InvalidValue(StorageError):
    default = "Giá trị không hợp lệ."


class AlreadyRegistered(StorageError):
    default = "Anh/chị đã đăng ký sự kiện này rồi."


class EventFull(StorageError):
    default = "Rất tiếc, sự kiện đã đủ số lượng người đăng ký."


class RegistrationClosed(StorageError):
    default = "Rất tiếc, sự kiện đã hết hạn đăng ký."


class EventPast(RegistrationClosed):
    default = "Sự kiện này đã diễn ra, anh/chị không thể đăng ký nữa."


class InvalidStatusChange(StorageError):
    default = "Không thể chuyển yêu cầu sang trạng thái này."


class ImportFileError(StorageError):
    """The whole file is unusable (not XLSX/CSV, missing column, duplicate code...)."""

    default = "Tệp nhập liệu không hợp lệ."
