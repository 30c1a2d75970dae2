"""Reference, not an alternative: a Python handler that does nothing (interpreter start-up only)."""


def lambda_handler(event, context):
    return {"statusCode": 200, "body": ""}
