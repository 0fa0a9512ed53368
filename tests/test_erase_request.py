"""Typed requests to erase the user's data are recognised in the three languages; questions that
only mention deleting are not."""

from __future__ import annotations

import pytest

from retainment_bot.engine.privacy import asks_to_forget


@pytest.mark.parametrize(
    "text",
    [
        "delete my data",
        "please erase my information",
        "Forget me",
        "tôi muốn xóa dữ liệu",
        "xoa thong tin cua toi",
        "データを削除してください",
        "私のデータを消して",
    ],
)
def test_a_typed_request_to_erase_is_recognised(text: str) -> None:
    assert asks_to_forget(text)


@pytest.mark.parametrize(
    "text",
    [
        "delete",
        "my data",
        "remove me from the list",
        "how to delete consent form",
        "do i need to delete data on the form before sending it to immigration office",
        "同意書を削除",
        "情報",
        "",
    ],
)
def test_a_question_that_mentions_deleting_is_no_request(text: str) -> None:
    assert not asks_to_forget(text)
