"""An S3 server for tests/media_s3.rs: moto on 127.0.0.1:PORT with BUCKET
made, until stdin closes.

Usage: s3.py PORT BUCKET. Prints "ready" once the bucket exists. Moto
accepts any credentials and does not check request signatures.
"""
import sys

import boto3
from moto.server import ThreadedMotoServer


def main():
    port, bucket = int(sys.argv[1]), sys.argv[2]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        ).create_bucket(Bucket=bucket)
        print("ready", flush=True)
        sys.stdin.read()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
