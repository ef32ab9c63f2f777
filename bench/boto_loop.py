import sys, time, boto3
from botocore.config import Config
endpoint, akid, secret = sys.argv[1:4]
logs = boto3.client("logs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=akid, aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))
logs.create_log_group(logGroupName="/boto/loop")
logs.create_log_stream(logGroupName="/boto/loop", logStreamName="s")
for batch in (1, 100, 1000):
    n = 0; calls = 0
    t0 = time.time()
    while time.time() - t0 < 8:
        now = int(time.time() * 1000)
        logs.put_log_events(logGroupName="/boto/loop", logStreamName="s", logEvents=[{"timestamp": now, "message": f"2026-11-25T10:00:00Z INFO request {n + i} handled in 12 ms user=u{(n + i) % 977}"} for i in range(batch)])
        n += batch; calls += 1
    dt = time.time() - t0
    print(f"boto3 loop, {batch} events per call: {n/dt:,.0f} events/s, {calls/dt:,.0f} calls/s")
