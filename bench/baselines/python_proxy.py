"""The baseline: an inference proxy written the way the AWS tutorials write it.

API Gateway (REST, Lambda proxy integration) -> this Lambda -> SageMaker InvokeEndpoint, as in
"Call an Amazon SageMaker model endpoint using Amazon API Gateway and AWS Lambda" (AWS ML blog) and
the SageMaker examples: a boto3 client made at module scope, the JSON body parsed and passed on,
the model's answer returned as the body. No validation, no error mapping, no metrics.
"""

import json
import os

import boto3

ENDPOINT_NAME = os.environ["ENDPOINT_NAME"]
runtime = boto3.client("sagemaker-runtime")


def lambda_handler(event, context):
    data = json.loads(event["body"])
    response = runtime.invoke_endpoint(
        EndpointName=ENDPOINT_NAME,
        ContentType="application/json",
        Body=json.dumps(data),
    )
    result = response["Body"].read().decode("utf-8")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": result,
    }
