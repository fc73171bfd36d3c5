"""The converter container's unoserver (docker-compose sets ZC_CONVERTER_URL), stood in for by a local
XML-RPC server with unoserver's convert() signature: bytes in, bytes back, and clear errors."""

import threading
import time
import xmlrpc.client
from xmlrpc.server import SimpleXMLRPCServer

import pytest

from app.config import get_settings
from app.render import convert


def start_unoserver(calls: list) -> SimpleXMLRPCServer:
    def convert_call(inpath, indata, outpath, convert_to, filtername, filter_options, update_index, infiltername):
        calls.append((inpath, outpath, convert_to, indata.data))
        if indata.data == b"slow":
            time.sleep(1)
        return xmlrpc.client.Binary(b"%PDF-1.7 converted " + indata.data)

    server = SimpleXMLRPCServer(("127.0.0.1", 0), allow_none=True, logRequests=False)
    server.register_function(convert_call, "convert")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def unoservers():
    """Two of them, as docker-compose's scale profile runs: (address, calls) each."""
    started = [(start_unoserver(calls := []), calls) for _ in range(2)]
    yield [(f"http://127.0.0.1:{server.server_address[1]}", calls) for server, calls in started]
    for server, _ in started:
        server.shutdown()
        server.server_close()


@pytest.fixture
def unoserver(unoservers):
    return unoservers[0]


def remote(url: str, timeout: float = 5) -> convert.RemoteConverter:
    settings = get_settings().model_copy(update={"converter_url": url, "converter_timeout_seconds": timeout})
    converter = convert.make(settings)
    assert isinstance(converter, convert.RemoteConverter)
    return converter


async def test_documents_go_as_bytes_and_come_back_as_pdf(unoserver):
    url, calls = unoserver
    assert await remote(url).convert(b"docx bytes") == b"%PDF-1.7 converted docx bytes"
    assert calls == [(None, None, "pdf", b"docx bytes")]


async def test_a_slow_server_times_out(unoserver):
    url, _ = unoserver
    with pytest.raises(convert.ConversionTimeout):
        await remote(url, timeout=0.2).convert(b"slow")


async def test_an_unreachable_server_is_unavailable():
    with pytest.raises(convert.ConverterUnavailable) as error:
        await remote("http://127.0.0.1:9").convert(b"docx")
    assert "127.0.0.1:9" in error.value.message


async def test_documents_take_several_converters_in_turn(unoservers):
    (first, first_calls), (second, second_calls) = unoservers
    converter = remote(f"{first}, {second}")
    answers = [await converter.convert(f"doc {n}".encode()) for n in range(4)]
    assert answers == [f"%PDF-1.7 converted doc {n}".encode() for n in range(4)]
    assert [c[3] for c in first_calls] == [b"doc 0", b"doc 2"] and [c[3] for c in second_calls] == [b"doc 1", b"doc 3"]


async def test_an_unreachable_converter_hands_its_document_to_the_next(unoserver):
    url, calls = unoserver
    converter = remote(f"http://127.0.0.1:9,{url}")
    assert [await converter.convert(b"docx") for _ in range(3)] == [b"%PDF-1.7 converted docx"] * 3
    assert len(calls) == 3
    with pytest.raises(convert.ConverterUnavailable) as error:
        await remote("http://127.0.0.1:9,http://127.0.0.1:7").convert(b"docx")
    assert "127.0.0.1:" in error.value.message


async def test_pdfa_asks_unoserver_for_pdf_version_2():
    """unoserver turns each "Name=value" filter option into the export's FilterData (numbers as integers)."""
    options = []

    def convert_call(inpath, indata, outpath, convert_to, filtername, filter_options, update_index, infiltername):
        options.append(filter_options)
        return xmlrpc.client.Binary(b"%PDF-1.7")

    server = SimpleXMLRPCServer(("127.0.0.1", 0), allow_none=True, logRequests=False)
    server.register_function(convert_call, "convert")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        converter = remote(f"http://127.0.0.1:{server.server_address[1]}")
        await converter.convert(b"docx", pdfa=True)
        await converter.convert(b"docx")
    finally:
        server.shutdown()
        server.server_close()
    assert options == [["SelectPdfVersion=2"], []]
