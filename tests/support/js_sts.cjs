// The AWS SDK for JavaScript v3 as a client of dsops's credential endpoint:
// STS GetCallerIdentity (against AWS_ENDPOINT_URL_STS) with the SDK's default
// credential chain; prints {"Arn", "AccessKeyId"} as one JSON line.
// Run with NODE_PATH pointing at a node_modules with @aws-sdk/client-sts.
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");

(async () => {
  const client = new STSClient({});
  const id = await client.send(new GetCallerIdentityCommand({}));
  const creds = await client.config.credentials();
  console.log(JSON.stringify({ Arn: id.Arn, AccessKeyId: creds.accessKeyId }));
})().catch((e) => {
  console.error(String(e));
  process.exit(1);
});
