"""The emulator names the requests an SDK retried, so a Duplicate error after a retry is explained by its log."""

from __future__ import annotations

import io

from emulator.retries import log_retries


def call(headers: dict[str, str], body: bytes = b"", query: str = "") -> tuple[bytes, bytes]:
    seen = {}

    def app(environ, start_response):
        seen["body"] = environ["wsgi.input"].read()
        return [b"ok"]

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **headers,
    }
    assert list(log_retries(app)(environ, lambda *a: None)) == [b"ok"]
    return seen["body"], body


def test_a_retried_ec2_call_is_named_and_its_body_still_reaches_moto(capsys):
    body = b"Action=AuthorizeSecurityGroupEgress&Version=2016-11-15&GroupId=sg-1"
    seen, sent = call({"HTTP_AMZ_SDK_REQUEST": "attempt=2; max=3", "HTTP_AMZ_SDK_INVOCATION_ID": "abc"}, body)
    assert seen == sent
    assert capsys.readouterr().out == "retry: attempt 2 of AuthorizeSecurityGroupEgress (abc)\n"


def test_a_retried_json_call_is_named_by_its_target(capsys):
    call(
        {
            "HTTP_AMZ_SDK_REQUEST": "attempt=3; max=3",
            "HTTP_X_AMZ_TARGET": "AmazonEC2ContainerServiceV20141113.UpdateService",
        }
    )
    assert "attempt 3 of AmazonEC2ContainerServiceV20141113.UpdateService" in capsys.readouterr().out


def test_a_first_attempt_is_not_logged(capsys):
    call({"HTTP_AMZ_SDK_REQUEST": "attempt=1; max=3"}, b"Action=DescribeVpcs")
    call({}, b"Action=DescribeVpcs")
    assert capsys.readouterr().out == ""
