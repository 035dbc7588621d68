"""`make bench`: each figure measured next to its baseline in the same run.

`imports` times cold imports in fresh interpreters, `package` sizes the deployment zip,
`stack` measures the local stack (latency, throughput, per-path transitions, invocations
and writes), `cost` turns per-path counts into dollars at public prices.
"""
