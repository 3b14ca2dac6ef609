"""A second real client on the emulator's wire: boto3 (botocore) with AWS's own service models.

Usage: python3 boto3-wire-check.py ENDPOINT_URL
Needs AWS_DATA_PATH pointing at the bedrock-runtime service model. Prints one JSON object with
what each call returned; exceptions are caught by their modeled class, so a wrong error code on
the wire shows up as a wrong class name.
"""

import json
import sys

import boto3
import botocore
from botocore.config import Config

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
DENIED = "anthropic.claude-3-sonnet-20240229-v1:0"


def claude_body(text, max_tokens=40):
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": text}],
        }
    )


def main():
    endpoint = sys.argv[1]
    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        config=Config(retries={"max_attempts": 1}),
    )
    result = {"botocore": botocore.__version__}

    response = client.invoke_model(
        modelId=HAIKU,
        body=claude_body("Describe a harbour in 20 words."),
        contentType="application/json",
        accept="application/json",
    )
    result["invoke"] = {
        "status": response["ResponseMetadata"]["HTTPStatusCode"],
        "contentType": response["contentType"],
        "inputTokenHeader": response["ResponseMetadata"]["HTTPHeaders"].get(
            "x-amzn-bedrock-input-token-count"
        ),
        "body": json.loads(response["body"].read()),
    }

    stream = client.invoke_model_with_response_stream(
        modelId=HAIKU, body=claude_body("Write 30 words about rain.")
    )
    chunks = []
    for event in stream["body"]:
        chunks.append(json.loads(event["chunk"]["bytes"]))
    result["stream"] = {
        "status": stream["ResponseMetadata"]["HTTPStatusCode"],
        "contentType": stream["contentType"],
        "types": [chunk["type"] for chunk in chunks],
        "text": "".join(
            chunk["delta"].get("text", "")
            for chunk in chunks
            if chunk["type"] == "content_block_delta"
        ),
        "metrics": chunks[-1].get("amazon-bedrock-invocationMetrics"),
    }

    errors = {}
    try:
        client.invoke_model(
            modelId=HAIKU,
            body=json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5}),
        )
    except client.exceptions.ValidationException as error:
        errors["validation"] = {
            "class": type(error).__name__,
            "code": error.response["Error"]["Code"],
            "message": error.response["Error"]["Message"],
            "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
        }
    try:
        client.invoke_model(modelId=DENIED, body=claude_body("hello"))
    except client.exceptions.AccessDeniedException as error:
        errors["accessDenied"] = {
            "class": type(error).__name__,
            "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
        }
    result["errors"] = errors

    converse = client.converse(
        modelId=HAIKU,
        messages=[{"role": "user", "content": [{"text": "Name two rivers."}]}],
        inferenceConfig={"maxTokens": 400},
    )
    result["converse"] = {
        "status": converse["ResponseMetadata"]["HTTPStatusCode"],
        "role": converse["output"]["message"]["role"],
        "text": converse["output"]["message"]["content"][0]["text"],
        "stopReason": converse["stopReason"],
        "usage": converse["usage"],
    }

    converse_stream = client.converse_stream(
        modelId=HAIKU,
        messages=[{"role": "user", "content": [{"text": "Name two lakes."}]}],
        inferenceConfig={"maxTokens": 400},
    )
    events = list(converse_stream["stream"])
    result["converseStream"] = {
        "status": converse_stream["ResponseMetadata"]["HTTPStatusCode"],
        "events": [next(iter(event)) for event in events],
        "text": "".join(
            event["contentBlockDelta"]["delta"].get("text", "")
            for event in events
            if "contentBlockDelta" in event
        ),
        "stopReason": next(
            event["messageStop"]["stopReason"] for event in events if "messageStop" in event
        ),
    }

    print(json.dumps(result))


if __name__ == "__main__":
    main()
