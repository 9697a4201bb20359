"""The PR comment is created once and then updated in place, against a local fake of each API."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from llmops_infra.delivery.pipelines import PR_MARKER
from llmops_infra.errors import ConfigError, EngineError
from llmops_infra.review.pr_comment import target_from_env, upsert


class FakeApi(BaseHTTPRequestHandler):
    """GitHub issue comments and Azure DevOps PR threads, in memory."""

    comments: list[dict] = []
    threads: list[dict] = []
    calls: list[tuple[str, str, str]] = []

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length)) if length else None

    def handle_any(self, method: str) -> None:
        self.calls.append((method, self.path.split("?")[0], self.headers.get("Authorization")))
        if self.headers.get("Authorization") != "Bearer t0ken":
            return self._send(401, {"message": "bad credentials"})
        path, body = self.path.split("?")[0], self._body()
        if path.endswith("/issues/7/comments"):
            if method == "GET":
                query = dict(q.split("=") for q in self.path.partition("?")[2].split("&") if "=" in q)
                size, page = int(query.get("per_page", 30)), int(query.get("page", 1))
                return self._send(200, self.comments[(page - 1) * size : page * size])
            self.comments.append({"id": len(self.comments) + 1, "body": body["body"]})
            return self._send(201, self.comments[-1])
        if "/issues/comments/" in path:
            comment = next(c for c in self.comments if c["id"] == int(path.rsplit("/", 1)[1]))
            comment["body"] = body["body"]
            return self._send(200, comment)
        if path.endswith("/pullRequests/7/threads"):
            if method == "GET":
                return self._send(200, {"value": self.threads, "count": len(self.threads)})
            thread = {"id": 40 + len(self.threads), "comments": [{"id": 1, **body["comments"][0]}]}
            self.threads.append(thread)
            return self._send(200, thread)
        if "/threads/" in path and "/comments/" in path:
            thread_id = int(path.split("/threads/")[1].split("/")[0])
            thread = next(t for t in self.threads if t["id"] == thread_id)
            thread["comments"][0]["content"] = body["content"]
            return self._send(200, thread["comments"][0])
        return self._send(404, {"message": "not found"})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")


@pytest.fixture
def api():
    FakeApi.comments, FakeApi.threads, FakeApi.calls = [{"id": 99, "body": "unrelated"}], [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_github_comment_is_created_then_updated(api):
    env = {
        "GITHUB_REPOSITORY": "contoso/estate",
        "GITHUB_REF": "refs/pull/7/merge",
        "GITHUB_TOKEN": "t0ken",
        "GITHUB_API_URL": api,
    }
    target = target_from_env("github", env)
    assert upsert(target, f"{PR_MARKER}\nfirst") == "created"
    assert upsert(target, "second") == "updated"
    ours = [c for c in FakeApi.comments if PR_MARKER in c["body"]]
    assert len(ours) == 1 and ours[0]["body"] == f"{PR_MARKER}\nsecond"
    assert FakeApi.comments[0]["body"] == "unrelated"
    assert ("PATCH", f"/repos/contoso/estate/issues/comments/{ours[0]['id']}", "Bearer t0ken") in FakeApi.calls


def test_azure_devops_thread_is_created_then_updated(api):
    env = {
        "SYSTEM_COLLECTIONURI": api + "/contoso/",
        "SYSTEM_TEAMPROJECT": "llmops",
        "BUILD_REPOSITORY_ID": "r1",
        "SYSTEM_PULLREQUEST_PULLREQUESTID": "7",
        "SYSTEM_ACCESSTOKEN": "t0ken",
    }
    target = target_from_env("azure-devops", env)
    assert upsert(target, f"{PR_MARKER}\nfirst") == "created"
    assert upsert(target, f"{PR_MARKER}\nsecond") == "updated"
    assert len(FakeApi.threads) == 1
    assert FakeApi.threads[0]["comments"][0]["content"] == f"{PR_MARKER}\nsecond"
    assert (
        "PATCH",
        "/contoso/llmops/_apis/git/repositories/r1/pullRequests/7/threads/40/comments/1",
        "Bearer t0ken",
    ) in FakeApi.calls


def test_errors_name_the_fix_and_never_the_token(api):
    with pytest.raises(ConfigError, match="SYSTEM_ACCESSTOKEN"):
        target_from_env("azure-devops", {"SYSTEM_COLLECTIONURI": api})
    with pytest.raises(ConfigError, match="not a pull request ref"):
        target_from_env("github", {"GITHUB_REPOSITORY": "a/b", "GITHUB_REF": "refs/heads/main", "GITHUB_TOKEN": "x"})
    bad = target_from_env(
        "github",
        {
            "GITHUB_REPOSITORY": "a/b",
            "GITHUB_REF": "refs/pull/7/merge",
            "GITHUB_TOKEN": "s3cr3t-value",
            "GITHUB_API_URL": api,
        },
    )
    with pytest.raises(EngineError, match="401") as info:
        upsert(bad, "x")
    assert "s3cr3t-value" not in str(info.value)


def test_github_refuses_a_comment_over_its_limit_before_calling(api):
    env = {
        "GITHUB_REPOSITORY": "contoso/estate",
        "GITHUB_REF": "refs/pull/7/merge",
        "GITHUB_TOKEN": "t0ken",
        "GITHUB_API_URL": api,
    }
    calls = len(FakeApi.calls)
    with pytest.raises(ConfigError, match="GitHub accepts 65,536") as caught:
        upsert(target_from_env("github", env), "x" * 70_000)
    assert "pr-report" in str(caught.value) and "t0ken" not in str(caught.value)
    assert len(FakeApi.calls) == calls  # nothing was sent


def test_github_finds_its_comment_beyond_the_first_page(api):
    env = {
        "GITHUB_REPOSITORY": "contoso/estate",
        "GITHUB_REF": "refs/pull/7/merge",
        "GITHUB_TOKEN": "t0ken",
        "GITHUB_API_URL": api,
    }
    FakeApi.comments = [{"id": i, "body": f"chatter {i}"} for i in range(1, 251)]
    target = target_from_env("github", env)
    assert upsert(target, "first") == "created"  # the 251st comment: on page 3
    assert upsert(target, "second") == "updated"
    ours = [c for c in FakeApi.comments if PR_MARKER in c["body"]]
    assert len(ours) == 1 and ours[0]["id"] == 251 and ours[0]["body"].endswith("second")
