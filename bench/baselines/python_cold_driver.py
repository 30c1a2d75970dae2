"""Cold-start driver of the Python baseline: one fresh interpreter, one invocation.

Usage: python3 python_cold_driver.py <event.json> [module]
Imports the handler module (python_proxy by default; its module scope creates the boto3 client, as a
Lambda init does), calls lambda_handler once with the event, and prints one line `BENCH_RESULT {...}`
when the answer is in.
"""

import importlib
import json
import resource
import sys
import time

started = time.perf_counter()
handler_module = importlib.import_module(sys.argv[2] if len(sys.argv) > 2 else "python_proxy")
loaded = time.perf_counter()


class Context:
    aws_request_id = "bench-request"
    function_name = "bench-python-proxy"
    memory_limit_in_mb = "1024"

    @staticmethod
    def get_remaining_time_in_millis():
        return 29000


with open(sys.argv[1], encoding="utf-8") as f:
    event = json.load(f)
result = handler_module.lambda_handler(event, Context())
answered = time.perf_counter()
print(
    "BENCH_RESULT "
    + json.dumps(
        {
            "status": result["statusCode"],
            "bodyBytes": len(result["body"]),
            "initMs": (loaded - started) * 1000,
            "invokeMs": (answered - loaded) * 1000,
            "maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
    ),
    flush=True,
)
