"""Lists a bucket of the moto server, bypassing kuvend: one line per object,
"KEY SIZE CONTENT-TYPE". Usage: s3_list.py PORT BUCKET."""
import sys

import boto3


def main():
    port, bucket = int(sys.argv[1]), sys.argv[2]
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        head = s3.head_object(Bucket=bucket, Key=obj["Key"])
        print(obj["Key"], obj["Size"], head.get("ContentType", ""))


if __name__ == "__main__":
    main()
