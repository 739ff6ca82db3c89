"""botocore's presigner as the reference for dsops eks-token.

Usage: eks_presign.py TOKEN ACCESS_KEY SECRET_KEY SESSION_TOKEN REGION CLUSTER [ENDPOINT_URL]

Decodes the token (k8s-aws-v1. + unpadded base64url of a URL), reads the
signing time from the URL's X-Amz-Date, and presigns GetCallerIdentity with
botocore at that same time, exactly as `aws eks get-token` does
(awscli/customizations/eks/get_token.py: the x-k8s-aws-id parameter moved
into a header before signing, ExpiresIn=60, HttpMethod GET). Prints one JSON
line: {"ours": URL, "theirs": URL, "ours_query": {...}, "theirs_query": {...}}.
"""
import base64
import datetime
import json
import sys
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import botocore.auth
import botocore.session

K8S_AWS_ID_HEADER = "x-k8s-aws-id"


def main(token, access_key, secret_key, session_token, region, cluster, endpoint_url=None):
    prefix = "k8s-aws-v1."
    assert token.startswith(prefix), token[:20]
    b64 = token[len(prefix):]
    assert "=" not in b64, "padded"
    ours = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)).decode()
    q = parse_qs(urlsplit(ours).query, keep_blank_values=True)
    signed_at = datetime.datetime.strptime(q["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc
    )

    kwargs = {
        "region_name": region,
        "aws_access_key_id": access_key,
        "aws_secret_access_key": secret_key,
        "aws_session_token": session_token,
    }
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    sts = botocore.session.get_session().create_client("sts", **kwargs)

    # As awscli's STSClientFactory registers them.
    def retrieve_k8s_aws_id(params, context, **kw):
        if K8S_AWS_ID_HEADER in params:
            context[K8S_AWS_ID_HEADER] = params.pop(K8S_AWS_ID_HEADER)

    def inject_k8s_aws_id_header(request, **kw):
        if K8S_AWS_ID_HEADER in request.context:
            request.headers[K8S_AWS_ID_HEADER] = request.context[K8S_AWS_ID_HEADER]

    sts.meta.events.register("provide-client-params.sts.GetCallerIdentity", retrieve_k8s_aws_id)
    sts.meta.events.register("before-sign.sts.GetCallerIdentity", inject_k8s_aws_id_header)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=signed_at):
        theirs = sts.generate_presigned_url(
            "get_caller_identity",
            Params={K8S_AWS_ID_HEADER: cluster},
            ExpiresIn=60,
            HttpMethod="GET",
        )

    def query(url):
        return {k: v for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}

    def base(url):
        u = urlsplit(url)
        return f"{u.scheme}://{u.netloc}{u.path}"

    print(json.dumps({
        "ours": ours, "theirs": theirs,
        "ours_base": base(ours), "theirs_base": base(theirs),
        "ours_query": query(ours), "theirs_query": query(theirs),
    }))


if __name__ == "__main__":
    main(*sys.argv[1:])
