#!/bin/bash
# Drives the one pre-training run on the lent GPU machine (the `run` device tool), where a
# command may last 10 minutes but a detached process keeps running between calls:
#
#   bash training/gpu_run.sh start [train.py options]   # starts train.py detached, shows the first lines
#   bash training/gpu_run.sh wait [SECONDS]             # waits (returns early when the run is done)
#   bash training/gpu_run.sh finish                     # waits for the end, checks the export
#                                                       # against transformers, copies it to $OUT
# The run writes to /tmp/run on the device; training/data/tokens must be carried.
set -u
RUN=/tmp/run
case "${1:-}" in
start)
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c 'import torch, numpy, sys; print(sys.version.split()[0], "torch", torch.__version__, "numpy", numpy.__version__)'
  mkdir -p "$RUN"
  PYTHONUNBUFFERED=1 setsid nohup python3 training/train.py --out_dir="$RUN" "${@:2}" \
    > "$RUN/stdout.log" 2>&1 < /dev/null &
  sleep "${WAIT:-80}"
  tail -n 30 "$RUN/stdout.log"
  ;;
wait)
  end=$((SECONDS + ${2:-540}))
  while [ $SECONDS -lt $end ] && [ ! -f "$RUN/eval.json" ]; do sleep 5; done
  tail -n 12 "$RUN/stdout.log"
  ;;
finish)
  end=$((SECONDS + ${2:-500}))
  while [ $SECONDS -lt $end ] && [ ! -f "$RUN/eval.json" ]; do sleep 5; done
  tail -n 8 "$RUN/stdout.log"
  if [ ! -f "$RUN/eval.json" ]; then
    echo "no eval.json yet: asking the run to stop"; touch "$RUN/STOP"
    while [ ! -f "$RUN/eval.json" ]; do sleep 3; done
    tail -n 4 "$RUN/stdout.log"
  fi
  python3 training/check_hf.py "$RUN/export"
  cp "$RUN"/export/model.fp16.safetensors.part* "$OUT"/
  tar -C "$RUN" -czf "$OUT/run-logs.tar.gz" train.log log.jsonl eval.json config.resolved.json stdout.log export/config.json
  ls -la "$OUT"
  ;;
*)
  echo "usage: $0 start|wait|finish" >&2; exit 2 ;;
esac
