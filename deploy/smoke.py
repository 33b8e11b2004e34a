"""Try the running stack from the host, as a client would: stdlib only, no virtualenv.

python3 deploy/smoke.py BASE_URL first STATE_FILE   ready, signup, login, create, read
python3 deploy/smoke.py BASE_URL again STATE_FILE   the same account and recipe still there
python3 deploy/smoke.py BASE_URL ready              wait until /health/ready answers 200
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any


def call(
    method: str,
    url: str,
    *,
    json_body: Any = None,
    form: dict[str, str] | None = None,
    token: str | None = None,
) -> tuple[int, Any]:
    headers = {}
    data = None
    if json_body is not None:
        data, headers["content-type"] = json.dumps(json_body).encode(), "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode(errors="replace")


def expect(what: str, status: int, wanted: int, body: Any) -> None:
    if status != wanted:
        sys.exit(f"smoke: {what}: HTTP {status}, wanted {wanted}: {body}")
    print(f"smoke: {what}: {status}")


def wait_ready(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            status, body = call("GET", f"{base}/health/ready")
        except OSError as error:
            status, body = 0, str(error)
        if status == 200:
            print("smoke: /health/ready: 200")
            return
        if time.monotonic() > deadline:
            sys.exit(f"smoke: /health/ready not 200 after {seconds:.0f} s: {status} {body}")
        time.sleep(0.5)


def login(api: str, email: str, password: str) -> str:
    status, body = call("POST", f"{api}/auth/login", form={"username": email, "password": password})
    expect("login", status, 200, body)
    return str(body["access_token"])


def first(base: str, state_file: str) -> None:
    api = f"{base}/api/v1"
    wait_ready(base)
    email, password = f"cook-{uuid.uuid4().hex[:8]}@example.com", "a long container password"
    status, body = call(
        "POST", f"{api}/auth/signup", json_body={"email": email, "password": password}
    )
    expect("signup", status, 201, body)
    token = login(api, email, password)
    status, body = call("GET", f"{api}/auth/me", token=token)
    expect("me", status, 200, body)
    recipe = {"label": "Container stew", "source": "CI", "url": "https://example.com/stew"}
    status, body = call("POST", f"{api}/recipes/", json_body=recipe, token=token)
    expect("create recipe", status, 201, body)
    recipe_id = body["id"]
    status, body = call("GET", f"{api}/recipes/{recipe_id}")
    expect("read recipe", status, 200, body)
    if body["label"] != recipe["label"]:
        sys.exit(f"smoke: read back {body!r}, wanted label {recipe['label']!r}")
    with open(state_file, "w") as out:
        json.dump({"email": email, "password": password, "recipe_id": recipe_id}, out)


def again(base: str, state_file: str) -> None:
    api = f"{base}/api/v1"
    with open(state_file) as source:
        state = json.load(source)
    wait_ready(base)
    token = login(api, state["email"], state["password"])
    status, body = call("GET", f"{api}/recipes/{state['recipe_id']}", token=token)
    expect("read the recipe made before", status, 200, body)
    if body["label"] != "Container stew":
        sys.exit(f"smoke: the recipe changed: {body!r}")


def main(argv: list[str]) -> None:
    base, step = argv[0].rstrip("/"), argv[1]
    if step == "ready":
        wait_ready(base)
    elif step == "first":
        first(base, argv[2])
    elif step == "again":
        again(base, argv[2])
    else:
        sys.exit(f"smoke: unknown step {step!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
