"""Warm-overhead driver of the Python baseline: one interpreter, many invocations.

Usage: python3 python_warm_driver.py <config.json>
config: {"events": {"<label>": <event>}, "iterations": n, "warmup": n}
For each label, alternates the handler (lambda_handler with the event) and the bare boto3
invoke_endpoint call it makes (same body, same endpoint), swapping which goes first every
iteration, and prints one line `BENCH_RESULT {...}` on stderr with the latencies in milliseconds.
"""

import json
import resource
import sys
import time

import python_proxy


class Context:
    aws_request_id = "bench-request"
    function_name = "bench-python-proxy"
    memory_limit_in_mb = "1024"

    @staticmethod
    def get_remaining_time_in_millis():
        return 29000


def bare(body):
    response = python_proxy.runtime.invoke_endpoint(
        EndpointName=python_proxy.ENDPOINT_NAME,
        ContentType="application/json",
        Body=body,
    )
    return response["Body"].read()


def timed(call):
    t0 = time.perf_counter()
    call()
    return (time.perf_counter() - t0) * 1000


with open(sys.argv[1], encoding="utf-8") as f:
    config = json.load(f)
context = Context()
out = {}
for label, event in config["events"].items():
    body = event["body"].encode("utf-8")
    handler_ms, bare_ms = [], []
    for i in range(config["warmup"] + config["iterations"]):
        if i % 2 == 0:
            h = timed(lambda: python_proxy.lambda_handler(event, context))
            b = timed(lambda: bare(body))
        else:
            b = timed(lambda: bare(body))
            h = timed(lambda: python_proxy.lambda_handler(event, context))
        if i >= config["warmup"]:
            handler_ms.append(h)
            bare_ms.append(b)
    out[label] = {"handler": handler_ms, "bare": bare_ms}
out["maxRssKb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
# On stderr, as the Node driver does (stdout is for the handler's own output).
print("BENCH_RESULT " + json.dumps(out), file=sys.stderr, flush=True)
