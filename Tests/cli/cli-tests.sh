#!/usr/bin/env bash
# End-to-end checks of the vaekit command line (release build): data preparation, a short
# training run, evaluation, sampling, resume, the checkpoint read by h5py, and the errors that
# bad input must produce (clear message, non-zero exit, no partial output).
set -uo pipefail
cd "$(dirname "$0")/../.."
. launch/env.sh
vaekit=.build/release/vaekit
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. Tests/cli/checks.sh

# Package.swift declares exactly what each target imports; the C kernels stay inside TensorCore.
check "Package.swift matches the imports" /usr/bin/python3 Tests/cli/check_imports.py
check "every relative link of README.md and docs/ resolves" /usr/bin/python3 Tests/cli/check_links.py
check "every results file the docs cite exists and says how it was made" /usr/bin/python3 Tests/cli/check_results.py
check "vaekit --version" bash -c "$vaekit --version | grep -qE '^[0-9]+\.[0-9]+\.[0-9]+$'"
# The container files (no engine here to run them): docker-compose.yml against the Compose
# specification's schema (and a broken copy refused, so the validator is really validating);
# every file the Dockerfile copies exists.
schema=(.build/test-tools/bin/check-jsonschema --builtin-schema vendor.compose-spec)
check "docker-compose.yml follows the Compose specification" "${schema[@]}" docker-compose.yml
sed 's/condition: service_completed_successfully/condition: finished/' docker-compose.yml >"$work/bad-compose.yml"
refuses "a compose file with an unknown depends_on condition is refused" "finished" "${schema[@]}" "$work/bad-compose.yml"
check "CITATION.cff follows the Citation File Format" .build/test-tools/bin/check-jsonschema \
    --builtin-schema vendor.citation-file-format CITATION.cff
check "every COPY source of the Dockerfile exists" bash -c \
    "awk '/^COPY/ && !/--from/ {for (i = 2; i < NF; i++) print \$i}' Dockerfile | while read -r f; do test -e \"\$f\" || { echo \"missing \$f\"; exit 1; }; done"
check "data prepare fashion-mnist" $vaekit data prepare fashion-mnist --output "$work/fmnist"
# Your own HDF5 images: N×H×W, N×H×W×C and N×C×H×W, uint8 or floats in [0, 1]; a split into
# training and test files; folders created; an existing output refused unless --overwrite.
mkdir -p "$work/own" && /usr/bin/python3 Tests/cli/make_import_files.py "$work/own"
check "data import N×H×W uint8" $vaekit data import "$work/own/gray_nhw_uint8.h5" --output "$work/own/a/b/gray.h5"
check "data import N×H×W×3 float64, split 80/20" $vaekit data import "$work/own/rgb_nhwc_float64.h5" \
    --output "$work/own/rgb/train.h5" --test-fraction 0.2 --test-output "$work/own/rgb/test.h5"
check "the split holds 40 + 10 images, channels first, the pixel values kept" /usr/bin/python3 -c \
    "import h5py,sys; a=h5py.File('$work/own/rgb/train.h5')['images']; b=h5py.File('$work/own/rgb/test.h5')['images']; \
sys.exit(not (a.shape==(40,3,12,10) and b.shape==(10,3,12,10) and int(a[0,2,3,4])==int(open('$work/own/expected.txt').read())))"
check "data import N×3×H×W float32" $vaekit data import "$work/own/rgb_nchw_float32.h5" --output "$work/own/nchw.h5"
refuses "an ambiguous channel axis asks for --layout" "pass --layout" $vaekit data import "$work/own/ambiguous.h5" \
    --output "$work/own/amb.h5"
check "--layout nhwc resolves it" $vaekit data import "$work/own/ambiguous.h5" --layout nhwc --output "$work/own/amb.h5"
refuses "floats outside [0, 1] are refused by value" "expected intensities in \[0, 1\]" $vaekit data import \
    "$work/own/out_of_range.h5" --output "$work/own/bad.h5"
refuses "an existing output is refused" "pass --overwrite" $vaekit data import "$work/own/gray_nhw_uint8.h5" \
    --output "$work/own/a/b/gray.h5"
check "… unless --overwrite" $vaekit data import "$work/own/gray_nhw_uint8.h5" --output "$work/own/a/b/gray.h5" --overwrite
check "data prepare noise" $vaekit data prepare noise --output "$work/noise" --count 300
# The front page's "your data in three commands", word for word, in a folder of its own (with
# the repository's configs/): 300 images of 28×28 floats with labels and class names.
mkdir -p "$work/readme" && ln -s "$PWD/configs" "$work/readme/configs"
/usr/bin/python3 -c "import h5py, numpy as np; r=np.random.default_rng(0); f=h5py.File('$work/readme/mine.h5','w'); \
f['images']=r.random((300,28,28)); f['labels']=r.integers(0,3,300); f['class_names']=['cat','dog','bird']"
readme_commands=$(sed -n '/^## Your data in three commands/,/^## /p' README.md | sed -n '/^```$/,/^```$/p' | grep '^vaekit ')
check "the README's three commands for your own data work as written" bash -c \
    "cd '$work/readme' && export PATH='$PWD/.build/release':\$PATH && [ \$(wc -l <<<'$readme_commands') = 3 ] \
        && while read -r line; do eval \"\$line\" >/dev/null 2>&1 || { echo \"failed: \$line\"; exit 1; }; done <<<'$readme_commands' \
        && grep -q '</html>' runs/mine/report.html"
check "… the imported files keep the class names and split 270 + 30" /usr/bin/python3 -c \
    "import h5py,sys; a=h5py.File('$work/readme/data/mine/train.h5'); b=h5py.File('$work/readme/data/mine/test.h5'); \
sys.exit(not (list(a['class_names'].asstr()[:])==['cat','dog','bird'] and len(a['images'])==270 and len(b['images'])==30))"
small=(--set data.train="$work/fmnist/train.h5" --set data.test="$work/fmnist/test.h5"
    --set data.train_limit=512 --set data.test_limit=128 --set training.epochs=2 --set training.batch_size=64
    --set training.checkpoint_every=4 --set training.evaluation_count=64 --set evaluation.iwae_samples=10
    --set evaluation.count=32)
check "train (2 epochs of 512 examples)" $vaekit train --config configs/fashion-mnist-mlp.yaml "${small[@]}" --run "$work/run" --quiet
# Without launch/env.sh's OPENBLAS_CORETYPE, the binary itself leaves OpenBLAS's generic kernels
# on a CPU with AVX2 (it runs itself again with the core type set) and says which core it runs.
check "without env.sh the binary runs fast OpenBLAS kernels, and says which" bash -c \
    "out=\$(env -u OPENBLAS_CORETYPE $vaekit train --config configs/fashion-mnist-mlp.yaml ${small[*]} --max-steps 1 \
        --run '$work/blas-core' --quiet 2>&1) && grep -q 'OpenBLAS [A-Za-z]' <<<\"\$out\" && { ! grep -qw avx2 /proc/cpuinfo \
        || ! grep -qiE 'OpenBLAS (Prescott|Core2|Penryn|Dunnington|Nehalem|Atom|Sandybridge),' <<<\"\$out\"; }"
check "checkpoints written" test -f "$work/run/checkpoints/checkpoint-16.h5" -a -f "$work/run/checkpoints/checkpoint-4.h5"
check "metrics and images written" test -s "$work/run/metrics.jsonl" -a -f "$work/run/images/samples-epoch-2.png"
check "h5py reads the checkpoint" /usr/bin/python3 Tests/cli/check_checkpoint.py "$work/run/checkpoints/checkpoint-16.h5" \
    encoder.fc1.weight,encoder.fc1.bias,encoder.fc3.weight,decoder.fc3.bias
check "evaluate" $vaekit evaluate --checkpoint "$work/run/checkpoints/checkpoint-16.h5" --json "$work/eval.json"
check "evaluate wrote JSON" grep -q '"nll"' "$work/eval.json"
check "evaluate --data: another test set (noise), relative to the working directory" bash -c \
    "cd '$work' && $PWD/$vaekit evaluate --checkpoint run/checkpoints/checkpoint-16.h5 --data noise/test.h5 --count 32 \
        --set evaluation.iwae_samples=5 --json eval-noise.json --quiet"
check "… scored the noise file, far less likely than clothes" /usr/bin/python3 -c \
    "import json,sys; a=json.load(open('$work/eval.json')); b=json.load(open('$work/eval-noise.json')); \
sys.exit(not (b['data']=='$work/noise/test.h5' and b['count']==32 and b['nll'] > a['nll'] + 100))"
# A config's relative data paths are read from its folder (here: a config in another folder).
mkdir -p "$work/cfg/sub" && sed "s#../data/fashion-mnist/#../../fmnist/#" configs/fashion-mnist-mlp.yaml >"$work/cfg/sub/mlp.yaml"
check "relative data paths in a config are read from the config's folder" bash -c \
    "cd / && $PWD/$vaekit train --config '$work/cfg/sub/mlp.yaml' --set data.train_limit=128 --set data.test_limit=64 \
        --set training.epochs=1 --set training.batch_size=64 --set evaluation.iwae_samples=2 --set evaluation.count=8 \
        --run '$work/cfg/run' --quiet && grep -q 'train: \"$work/fmnist/train.h5\"' '$work/cfg/run/config.yaml'"
mkdir -p "$work/nan/checkpoints" && cp "$work/run/config.yaml" "$work/nan/" && cp "$work/run/checkpoints/checkpoint-16.h5" "$work/nan/checkpoints/"
/usr/bin/python3 -c "import h5py; f=h5py.File('$work/nan/checkpoints/checkpoint-16.h5','r+'); f['params/decoder.fc3.bias'][0]=float('nan')"
refuses "a checkpoint with a NaN parameter is refused by name" "decoder.fc3.bias holds nan" \
    $vaekit evaluate --checkpoint "$work/nan/checkpoints/checkpoint-16.h5"
check "sample" $vaekit sample --checkpoint "$work/run/checkpoints/checkpoint-16.h5" --count 16 --output "$work/s.png"
dead=$(sh -c 'echo $$')  # a process that has exited: its half-written checkpoint is abandoned
head -c 1000 /dev/urandom >"$work/run/checkpoints/checkpoint-20.h5.tmp-$dead"
check "resume continues" $vaekit train --config configs/fashion-mnist-mlp.yaml "${small[@]}" --set training.epochs=3 --run "$work/run" --resume --quiet
check "resumed to step 24" test -f "$work/run/checkpoints/checkpoint-24.h5"
refuses "--max-steps at or below the run's step says so" "already at step 24" $vaekit train \
    --config configs/fashion-mnist-mlp.yaml "${small[@]}" --set training.epochs=3 --run "$work/run" --resume --max-steps 20 --quiet
check "the abandoned half-written checkpoint was removed" test ! -e "$work/run/checkpoints/checkpoint-20.h5.tmp-$dead"
# An interruption after the step-16 record but before its checkpoint: the resumed run redoes
# steps 9-16 and records them once.
cp -r "$work/run" "$work/rerun" && rm "$work/rerun/checkpoints/checkpoint-"{12,16,20,24}.h5
check "resume after an interruption" $vaekit train --config configs/fashion-mnist-mlp.yaml "${small[@]}" --set training.epochs=3 --run "$work/rerun" --resume --quiet
check "metrics.jsonl records each step once, with the steps each mean covers" /usr/bin/python3 -c \
    "import json,sys; r=[json.loads(l) for l in open('$work/rerun/metrics.jsonl') if l.strip()]; print([x['step'] for x in r]); sys.exit(not ([x['step'] for x in r]==[8,16,24] and r[-1]['train_steps']==8))"

refuses "missing config file" "no such file" $vaekit train --config "$work/absent.yaml"
printf 'model:\n  hiden: [3]\n' > "$work/typo.yaml"
refuses "unknown config key is named, with the key it was probably meant to be" "model.hiden' (did you mean 'hidden'?)" $vaekit train --config "$work/typo.yaml"
refuses "wrongly typed value" "training.epochs = 'ten'" $vaekit train --config configs/fashion-mnist-mlp.yaml --set training.epochs=ten
refuses "missing data file" "none.h5: cannot open (no such file" $vaekit train --config configs/fashion-mnist-mlp.yaml --set data.train="$work/none.h5" --run "$work/x"
refuses "data that do not fit the model" "32×32" $vaekit train --config configs/fashion-mnist-dcgan.yaml "${small[@]}" --set data.padding=0 --run "$work/y"
refuses "existing run without --resume" "already holds checkpoints" $vaekit train --config configs/fashion-mnist-mlp.yaml "${small[@]}" --run "$work/run" --quiet
refuses "checkpoint from another config" "do not match" $vaekit train --config configs/fashion-mnist-mlp.yaml "${small[@]}" --set model.latent=16 --run "$work/run" --resume --quiet
printf 'garbage' > "$work/bad.h5"
refuses "a file that is not HDF5" "not an HDF5 file" $vaekit evaluate --checkpoint "$work/bad.h5"
refuses "unknown dataset name" "unknown dataset" $vaekit data prepare imagenet --output "$work/z"
# Every integer key has an upper bound: none of these may trap, hang or allocate.
for kv in data.padding=2147483648 model.latent=2147483648 training.workers=100000 training.blas_threads=2147483648 \
    "model.hidden=[100000000]" training.epochs=9223372036854775807 training.allreduce_bucket_mb=9223372036854775807 \
    "model.hidden=[$(seq -s, 1 100 | sed 's/[0-9]*/3/g')]"; do
    refuses "config bound: ${kv:0:40}" "is not" $vaekit train --config configs/fashion-mnist-mlp.yaml --set "$kv" --run "$work/bounds"
done
# A run's name is a folder under runs/, never a path; training never writes into a folder that is
# not a run.
mkdir -p "$work/names/runs" && cp configs/fashion-mnist-mlp.yaml "$work/names/config.yaml"
for name in .. ../../x "a/b" ""; do
    refuses "run name '$name' refused" "name = '$name'" bash -c "cd '$work/names' && '$PWD/$vaekit' train --config config.yaml --set 'name=$name' --set data.train='$work/fmnist/train.h5' --set data.test='$work/fmnist/test.h5' --quiet"
done
check "the user's files were not touched" cmp configs/fashion-mnist-mlp.yaml "$work/names/config.yaml"
# Divergence stops the run at the step it happens, on every rank, and no checkpoint is non-finite.
for ranks in 1 2; do
    launcher=(); [ "$ranks" -gt 1 ] && launcher=(mpirun --oversubscribe --bind-to none -np "$ranks")
    refuses "learning rate 10 diverges on $ranks rank(s): stopped by name" "training diverged at step" \
        "${launcher[@]}" $vaekit train --config configs/fashion-mnist-mlp.yaml "${small[@]}" --set training.learning_rate=10 \
        --set training.checkpoint_every=1 --set training.workers=1 --run "$work/diverge-$ranks" --quiet
    check "every checkpoint left by the diverged run is finite ($ranks rank(s))" /usr/bin/python3 -c \
        "import glob,sys,h5py,numpy as n; fs=glob.glob('$work/diverge-$ranks/checkpoints/*.h5'); sys.exit(not all(n.isfinite(h5py.File(f)['params'][k][()]).all() for f in fs for k in h5py.File(f)['params']))"
done
mkdir -p "$work/foreign" && echo keep >"$work/foreign/notes.txt"
refuses "training into a folder that is not a run" "not a VAEKit run folder (it holds notes.txt)" \
    $vaekit train --config configs/fashion-mnist-mlp.yaml "${small[@]}" --run "$work/foreign" --quiet
check "the foreign folder is untouched" bash -c "[ \"\$(ls '$work/foreign')\" = notes.txt ]"
# Data-parallel training: the same global batch on 1, 2 and 4 ranks gives the same parameters.
# SGD with momentum: only the order of floating-point sums differs between rank counts, so after
# 8 steps the parameters agree to 1e-6 (seen: 1.5e-8). Adam divides by √v, so gradient entries
# that are pure rounding noise get O(lr) steps whose sign can differ; its bound is 1e-3 (seen: 9e-5
# at lr 3e-3 over 8 steps).
mpirun=(mpirun --oversubscribe --bind-to none)
for optimizer in sgd adam; do
    dp=(--config configs/fashion-mnist-mlp.yaml "${small[@]}" --set training.epochs=1 --set training.checkpoint_every=0
        --set training.workers=1 --set training.optimizer=$optimizer --set training.momentum=0.9
        --set training.learning_rate=0.003 --quiet)
    tolerance=1e-6; [ "$optimizer" = adam ] && tolerance=1e-3
    check "$optimizer: 1 rank" $vaekit train "${dp[@]}" --run "$work/$optimizer-1"
    for ranks in 2 4; do
        check "$optimizer: $ranks ranks under mpirun" "${mpirun[@]}" -np $ranks $vaekit train "${dp[@]}" --run "$work/$optimizer-$ranks"
        check "$optimizer: $ranks ranks match 1 rank (≤ $tolerance)" /usr/bin/python3 Tests/cli/compare_checkpoints.py \
            "$work/$optimizer-1/checkpoints/checkpoint-8.h5" "$work/$optimizer-$ranks/checkpoints/checkpoint-8.h5" $tolerance
    done
done
# training.reproducible_reduction: 1, 2, 4 and 8 ranks (and 2 workers on 1 rank) give the same
# parameters, bit for bit, after a whole epoch of Adam (32 steps of 64).
exact=(--config configs/fashion-mnist-mlp.yaml "${small[@]}" --set data.train_limit=2048 --set training.epochs=1
    --set training.checkpoint_every=0 --set training.reproducible_reduction=true --set training.blas_threads=1 --quiet)
check "reproducible reduction: 1 rank" $vaekit train "${exact[@]}" --set training.workers=1 --run "$work/exact-1"
check "reproducible reduction: 1 rank × 2 workers" $vaekit train "${exact[@]}" --set training.workers=2 --run "$work/exact-w2"
check "reproducible reduction: 2 workers = 1 worker, bit for bit" /usr/bin/python3 Tests/cli/compare_checkpoints.py \
    "$work/exact-1/checkpoints/checkpoint-32.h5" "$work/exact-w2/checkpoints/checkpoint-32.h5" 0
for ranks in 2 4 8; do
    check "reproducible reduction: $ranks ranks" "${mpirun[@]}" -x OPENBLAS_NUM_THREADS=1 -np $ranks $vaekit train \
        "${exact[@]}" --set training.workers=1 --run "$work/exact-$ranks"
    check "reproducible reduction: $ranks ranks = 1 rank, bit for bit" /usr/bin/python3 Tests/cli/compare_checkpoints.py \
        "$work/exact-1/checkpoints/checkpoint-32.h5" "$work/exact-$ranks/checkpoints/checkpoint-32.h5" 0
done
refuses "reduction_block must divide the batch" "a divisor of training.batch_size" $vaekit train "${exact[@]}" \
    --set training.reduction_block=48 --run "$work/exact-bad"
refuses "reproducible reduction stops a diverging run" "not finite" "${mpirun[@]}" -np 2 $vaekit train "${exact[@]}" \
    --set training.learning_rate=10 --set training.optimizer=sgd --run "$work/exact-nan"
# The all-reduce overlapped with the backward pass (1 MiB buckets) gives the blocking reduction's
# parameters: on 2 ranks each sum is a + b either way, so bit for bit; on 4, to 1e-6 of 1 rank.
for ranks in 2 4; do
    check "sgd: $ranks ranks, overlapped all-reduce" "${mpirun[@]}" -np $ranks $vaekit train "${dp[@]}" \
        --set training.overlap_allreduce=true --set training.allreduce_bucket_mb=1 --set training.optimizer=sgd \
        --run "$work/sgd-$ranks-overlap"
done
check "sgd: overlapped = blocking all-reduce on 2 ranks, bit for bit" /usr/bin/python3 Tests/cli/compare_checkpoints.py \
    "$work/sgd-2/checkpoints/checkpoint-8.h5" "$work/sgd-2-overlap/checkpoints/checkpoint-8.h5" 0
check "sgd: overlapped all-reduce on 4 ranks = 1 rank (≤ 1e-6)" /usr/bin/python3 Tests/cli/compare_checkpoints.py \
    "$work/sgd-1/checkpoints/checkpoint-8.h5" "$work/sgd-4-overlap/checkpoints/checkpoint-8.h5" 1e-6
check "checkpoint records world_size 4" /usr/bin/python3 -c \
    "import h5py,sys; sys.exit(h5py.File('$work/adam-4/checkpoints/checkpoint-8.h5')['/'].attrs['world_size'] != 4 and 1 or 0)"
check "launch/train.sh on 2 ranks" launch/train.sh -n 2 -- --config configs/fashion-mnist-mlp.yaml "${small[@]}" \
    --set training.epochs=1 --run "$work/launcher" --quiet
check "launch/train.sh wrote world_size 2" /usr/bin/python3 -c \
    "import h5py,sys; sys.exit(h5py.File('$work/launcher/checkpoints/checkpoint-8.h5')['/'].attrs['world_size'] != 2 and 1 or 0)"
for ranks in 2 4; do
    check "collectives invariants on $ranks ranks" timeout 60 "${mpirun[@]}" -np $ranks $vaekit selftest collectives
done
# The collective watchdog: a rank that stalls outside the collectives ends the job once the
# others have waited the limit (3 s), with a message saying every rank answered a ping.
started=$(date +%s)
refuses "a stalled rank ends the job through the watchdog" "busy outside the collective" \
    timeout 60 "${mpirun[@]}" -np 2 $vaekit selftest collectives --stall-rank 1 --timeout 3
elapsed=$(( $(date +%s) - started ))
check "it ended within the limit + 10 s (took ${elapsed} s)" test "$elapsed" -lt 13
# A rank that cannot read its data ends the whole job, non-zero, with the reason, in seconds.
started=$(date +%s)
refuses "a failing rank ends the job" "none.h5" timeout 60 "${mpirun[@]}" -np 2 bash -c \
    'extra=(); [ "$OMPI_COMM_WORLD_RANK" = 1 ] && extra=(--set data.train='"$work"'/none.h5);
     exec '"$vaekit"' train --config configs/fashion-mnist-mlp.yaml --set data.train_limit=512 --set data.test_limit=128 \
        --set data.test='"$work"'/fmnist/test.h5 --set data.train='"$work"'/fmnist/train.h5 "${extra[@]}" --run '"$work"'/failing --quiet'
elapsed=$(( $(date +%s) - started ))
check "it ended within 30 s (took ${elapsed} s)" test "$elapsed" -lt 30

# Influence: the same index and query on 1, 2 and 4 ranks give the same scores. Per-example
# gradients do not depend on the rank or batch; only the blocking of GEMMs may reorder float
# sums, hence a relative tolerance of 1e-4.
for ranks in 1 2 4; do
    cp -r "$work/run" "$work/influence-$ranks"
    rm -rf "$work/influence-$ranks/gradients"
    launcher=(); [ "$ranks" -gt 1 ] && launcher=("${mpirun[@]}" -np "$ranks")
    check "influence index (factors) on $ranks rank(s)" "${launcher[@]}" $vaekit influence index \
        --run "$work/influence-$ranks" --mode factors --checkpoints 8,16 --samples 2
    check "influence query on $ranks rank(s)" "${launcher[@]}" $vaekit influence query \
        --run "$work/influence-$ranks" --test train:0-9 --top 3 --self
done
# A full disk (a 40 MB tmpfs holding the run's two checkpoints): the index and a checkpoint fail
# with exit 1 and the disk named, leave no temporary file, and libhdf5 does not crash at exit.
full="$work/full"
mkdir -p "$full"
if mount -t tmpfs -o size=40m tmpfs "$full" 2>/dev/null; then
    mkdir -p "$full/run/checkpoints"
    cp "$work/run/config.yaml" "$full/run/"
    cp "$work/run/checkpoints/checkpoint-8.h5" "$work/run/checkpoints/checkpoint-16.h5" "$full/run/checkpoints/"
    check "influence index (factors) on a full disk: exit 1 naming the full disk, no crash" bash -c \
        "out=\$($vaekit influence index --run '$full/run' --mode factors --checkpoints 8,16 --samples 2 2>&1); test \$? -eq 1 && grep -q 'disk holding it is full' <<<\"\$out\""
    check "training on a full disk: exit 1 naming the full disk, no crash" bash -c \
        "out=\$($vaekit train --config configs/fashion-mnist-mlp.yaml ${small[*]} --run '$full/run2' --quiet 2>&1); test \$? -eq 1 && grep -q 'disk holding it is full' <<<\"\$out\""
    check "no temporary file left on the full disk" bash -c "! find '$full' -name '*.tmp-*' | grep -q ."
    umount "$full"
else
    echo "skipped: the full-disk checks need root (mount -t tmpfs)"
fi
for ranks in 2 4; do
    check "influence scores on $ranks ranks match 1 rank" /usr/bin/python3 Tests/cli/compare_influence.py \
        "$work/influence-1/influence.json" "$work/influence-$ranks/influence.json" 1e-4
done
# A queried training example draws afresh (the query role), so TracIn need not rank it first,
# but it ranks far above chance: within the top 10 % of the 512 for at least 8 of 10 examples.
check "influence query of training examples, top 51" $vaekit influence query --run "$work/influence-1" \
    --test train:0-9 --top 51
check "queried training examples rank themselves in their top 10 %" /usr/bin/python3 -c \
    "import json,sys; t=json.load(open('$work/influence-1/influence.json'))['tests']; n=sum(x['index'] in [p['index'] for p in x['proponents']] for x in t); print(n, 'of', len(t)); sys.exit(n < 8)"
# Projected scores rank training examples like exact ones: median Spearman ≥ 0.9 over the test
# examples at the default sketch size (256 per layer), S = 16, the MLP VAE, 3 checkpoints. (The
# minimum over 6 examples varies with the projection seed, 0.69–0.91 over seeds 1–6; the median
# stayed within 0.965–0.972.)
check "projected vs exact influence: Spearman" $vaekit bench projection --run "$work/run" --checkpoints 8,16,24 \
    --train 300 --tests 6 --json "$work/spearman.json"
check "median Spearman ≥ 0.9 over the test examples" /usr/bin/python3 -c \
    "import json,sys,statistics as st; d=json.load(open('$work/spearman.json')); print(d['spearman']); sys.exit(st.median(d['spearman']) < 0.9)"
check "self-influence lists every example" /usr/bin/python3 -c \
    "import json,sys; sys.exit(len(json.load(open('$work/influence-1/self-influence.json'))['values']) != 512)"
# The linear datamodeling score: retrainings spread over ranks give the same result as one rank.
for ranks in 1 2; do
    launcher=(); [ "$ranks" -gt 1 ] && launcher=("${mpirun[@]}" -np "$ranks")
    check "experiment lds on $ranks rank(s)" "${launcher[@]}" $vaekit experiment lds --config configs/fashion-mnist-mlp.yaml \
        "${small[@]}" --set training.epochs=1 --set training.workers=1 --set model.hidden=[32] --train 256 --tests 4 \
        --subsets 4 --folder "$work/lds-$ranks" --json "$work/lds-$ranks.json"
done
check "lds on 2 ranks equals 1 rank" /usr/bin/python3 -c \
    "import json,sys; a=json.load(open('$work/lds-1.json')); b=json.load(open('$work/lds-2.json')); print([(x['score'],x['mode'],x['preconditioner'],round(x['lds'],3)) for x in a]); sys.exit(any(abs(x['lds']-y['lds'])>1e-9 or x['score']!=y['score'] for x,y in zip(a,b)) or len(a)!=12)"
# float16 storage, readable by h5py as numpy float16; a bounded-memory query agrees with the full one.
cp -r "$work/run" "$work/half" && rm -rf "$work/half/gradients"
check "influence index --storage float16 --max-memory 1M" $vaekit influence index --run "$work/half" --mode projected \
    --samples 2 --checkpoints 8,16 --storage float16 --max-memory 1M
check "h5py reads the float16 shard" /usr/bin/python3 -c \
    "import glob,h5py,sys; f=h5py.File(sorted(glob.glob('$work/half/gradients/gen-*/ckpt-8/rank-0.h5'))[0]); d=f['projected']; print(d.dtype, d.shape); sys.exit(str(d.dtype)!='float16' or d.shape[0]!=512)"
check "influence query with a 1M budget" $vaekit influence query --run "$work/half" --test test:0-4 --top 5 --max-memory 1M
refuses "float16 factors" "float16 is for projected and dense" $vaekit influence index --run "$work/half" --mode factors --storage float16
refuses "query without an index" "no gradient index" $vaekit influence query --run "$work/launcher" --test test:0
refuses "bad --test spec" "test:LIST or train:LIST" $vaekit influence query --run "$work/influence-1" --test val:3

# OOD scoring: the same scores on 1 and 2 ranks (test images sharded over ranks).
ood=(--count 6 --iwae-samples 10 --steps 5 --batch-size 4 --ood noise,vflip,invert --flag-at-tpr 0.9 --calibration 10
    --resamples 200)
for ranks in 1 2; do
    cp -r "$work/run" "$work/ood-$ranks"
    launcher=(); [ "$ranks" -gt 1 ] && launcher=("${mpirun[@]}" -np "$ranks")
    check "ood on $ranks rank(s)" "${launcher[@]}" $vaekit ood --run "$work/ood-$ranks" "${ood[@]}"
done
check "ood scores on 2 ranks match 1 rank" /usr/bin/python3 Tests/cli/compare_ood.py \
    "$work/ood-1/ood.json" "$work/ood-2/ood.json" 1e-4
check "ood.json has the metrics table" /usr/bin/python3 -c \
    "import json,sys; d=json.load(open('$work/ood-1/ood.json')); sys.exit(sorted(d['metrics']['likelihood_regret']) != ['invert','noise','vflip'])"
check "the in-distribution set is the run's test set, named by its file" /usr/bin/python3 -c \
    "import json,sys; d=json.load(open('$work/ood-1/ood.json')); sys.exit(not (d['in_distribution']=='test' and d['in_distribution_file'].endswith('fmnist/test.h5')))"
refuses "unknown OOD set" "unknown dataset 'nonsense'" $vaekit ood --run "$work/ood-1" --count 2 --iwae-samples 2 --steps 1 --ood nonsense
check "ood.json: intervals, verdicts, input complexity not applicable to a Bernoulli decoder" /usr/bin/python3 -c \
    "import json,sys; d=json.load(open('$work/ood-1/ood.json')); i=d['intervals']['likelihood_regret']['noise']['auroc']; c=d['calibration']; sys.exit(not (i['lower']<=d['metrics']['likelihood_regret']['noise']['auroc']<=i['upper'] and c['count']==10 and all('likelihood_regret' in x['flagged'] for x in d['scores']['noise']) and 'input_complexity' not in d['metrics'] and '8-bit' in d['not_applicable']['input_complexity']))"
refuses "--flag-at-tpr outside (0, 1)" "--flag-at-tpr must be in (0, 1)" $vaekit ood --run "$work/ood-1" --count 2 --flag-at-tpr 95
check "data prepare digits" $vaekit data prepare digits --count 100 --output "$work/digits"
check "train with held-out classes 0 and 9" $vaekit train --config configs/fashion-mnist-mlp.yaml "${small[@]}" \
    --set training.epochs=1 --set "data.exclude_classes=[0, 9]" --run "$work/heldout" --quiet
check "ood on digits and the held-out classes" $vaekit ood --run "$work/heldout" --in test --ood digits,heldout-classes \
    --count 6 --iwae-samples 10 --steps 5 --resamples 100
check "held-out images are the test images of classes 0 and 9" /usr/bin/python3 -c \
    "import json,sys; d=json.load(open('$work/heldout/ood.json')); sys.exit(not ({x['label'] for x in d['scores']['heldout-classes']} <= {0,9} and {x['label'] for x in d['scores']['test']}.isdisjoint({0,9}) and len(d['scores']['digits'])==6))"
refuses "heldout-classes of a run that excludes none" "exclude_classes" $vaekit ood --run "$work/ood-1" --count 2 --iwae-samples 2 --steps 1 --ood heldout-classes

# Likelihood Regret with the 256-way decoder, replayed by the official procedure in PyTorch on the
# same weights, images and ε: the loss of every refit step and both NLLs must agree.
check "train a 256-way DCGAN VAE briefly" $vaekit train --config configs/fashion-mnist-dcgan.yaml "${small[@]}" \
    --set model.likelihood=categorical256 --set model.latent=16 --set training.epochs=1 --set training.workers=1 \
    --set training.checkpoint_every=0 --run "$work/cat256" --quiet
for set in test noise; do
    check "256-way refit traced ($set)" $vaekit bench regret --run "$work/cat256" --set $set --images 6 \
        --iwae-samples 20 --steps 30 --workers 1 --trace "$work/trace-$set.h5"
    check "PyTorch replays the $set refit step by step" /usr/bin/python3 bench/reference/torch_regret_replay.py \
        "$work/cat256/checkpoints/checkpoint-8.h5" "$work/trace-$set.h5" --check
done

# The profiles that say where time goes: a refit step, the IWAE decoder against sgemm, a training step.
check "bench regret --profile: phases, the refit's layers and backward ops" bash -c \
    "$vaekit bench regret --run '$work/cat256' --images 2 --iwae-samples 10 --steps 3 --workers 1 --profile \
        > '$work/regret-profile.txt' && grep -q '^  Adam ' '$work/regret-profile.txt' \
        && grep -q '^  encoder.head ' '$work/regret-profile.txt' && grep -q '^  batchedMatmul ' '$work/regret-profile.txt'"
check "bench iwae: the decoder's share of the sgemm rate, each layer's time" bash -c \
    "$vaekit bench iwae --run '$work/cat256' --samples 20 --images 2 --profile > '$work/iwae.txt' \
        && grep -q '^  decoder.deconv4 ' '$work/iwae.txt' && tail -1 '$work/iwae.txt' | /usr/bin/python3 -c \
        \"import json,sys; d=json.loads(sys.stdin.read()); sys.exit(not (0 < d['share_of_sgemm'] < 2 and d['decoder_mflop_per_sample'] > 0))\""
check "bench train --profile: phases, layers, ops" bash -c \
    "$vaekit bench train --config configs/fashion-mnist-mlp.yaml ${small[*]} --steps 5 --warmup 2 --profile \
        > '$work/train-profile.txt' && grep -q '^  optimizer ' '$work/train-profile.txt' \
        && grep -q '^  encoder.fc1 ' '$work/train-profile.txt' && grep -q '^  affine ' '$work/train-profile.txt'"

# The report: the influence and OOD results of the same run in one folder, rendered by Chromium.
cp -r "$work/influence-1" "$work/report"
check "ood with a background model (the likelihood ratio)" $vaekit ood --run "$work/report" "${ood[@]}" \
    --background "$work/heldout"
check "experiment self-influence (against training loss and ‖μ‖)" $vaekit experiment self-influence --run "$work/report"
check "self-influence-analysis.json covers every training example" /usr/bin/python3 -c \
    "import json,sys; d=json.load(open('$work/report/self-influence-analysis.json')); print(d['spearman_loss']); sys.exit(len(d['losses'])!=512 or not -1<=d['spearman_loss']<=1)"
check "report" $vaekit report --run "$work/report"
check "report.html in headless Chromium: every section filled, no console message, PNGs decode" \
    /usr/bin/python3 Tests/cli/check_report.py "$work/report/report.html" test-artifacts
check "report.json holds the run, curves, OOD metrics and influence" /usr/bin/python3 -c \
    "import json,sys; d=json.load(open('$work/report/report.json')); sys.exit(not (d['run']['train_count']==512 and len(d['curves'])==3 and d['ood']['scores']['metrics']['likelihood_regret'] and d['influence']['query']['tests'] and d['commands']))"
cp -r "$work/report" "$work/escape"
# A recorded command holds what the user typed, markup included (run names cannot: they are folder names).
echo 'vaekit train --config "<script>alert(1)</script> & <b>"' >>"$work/escape/commands.txt"
check "report escapes strings from the run folder" bash -c \
    "$vaekit report --run '$work/escape' >/dev/null && grep -q '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;' '$work/escape/report.html' && ! grep -q '<script>alert' '$work/escape/report.html'"
refuses "report of a folder without a run" "config.yaml" $vaekit report --run "$work/nothing"
cp -r "$work/report" "$work/huge"
/usr/bin/python3 -c "import json; p='$work/huge/ood.json'; d=json.load(open(p)); d['scores']['noise'][0]['regret']=1e30; json.dump(d, open(p,'w'))"
check "report with a finite score of 1e30 (histogram bins clamp)" $vaekit report --run "$work/huge"
cp -r "$work/report" "$work/ghost"
/usr/bin/python3 -c "import json; p='$work/ghost/influence.json'; d=json.load(open(p)); d['tests'][0]['proponents'][0]['index']=70000; json.dump(d, open(p,'w'))"
refuses "report naming a training example that does not exist" "train #70000 does not exist" $vaekit report --run "$work/ghost"
cp "$work/report/influence.json" "$work/ghost/"
/usr/bin/python3 -c "import json; p='$work/ghost/ood.json'; d=json.load(open(p)); d['scores']['noise'][0]['index']=999; json.dump(d, open(p,'w'))"
refuses "report naming an OOD image that does not exist" "noise #999 does not exist" $vaekit report --run "$work/ghost"
echo '{"format": "vaekit-ood-3", "scores": ' >"$work/escape/ood.json"
refuses "report with a truncated ood.json" "ood.json" $vaekit report --run "$work/escape"
echo '{"format": "vaekit-ood-2", "meanAUROC": {}}' >"$work/escape/ood.json"
refuses "report with an ood.json of an older format names both versions" \
    "format 'vaekit-ood-2', expected 'vaekit-ood-3'" $vaekit report --run "$work/escape"
check "a failed report leaves the previous one whole" grep -q '</html>' "$work/escape/report.html"

# The seed papers' variants: each config trains on 1 and 2 ranks to the same parameters (SGD as
# above: only the order of float sums differs), and its tools run.
check "data prepare three-dots" $vaekit data prepare three-dots --count 640 --size 32 --output "$work/dots"
for variant in hvae consistency supervised jacobian-l1; do
    if [ "$variant" = jacobian-l1 ]; then
        # SGD at 3e-3 diverges on three-dots' 1,024 summed pixel losses with β = 4: 1e-4 here.
        config=configs/three-dots-jacobian-l1.yaml; files=(--set data.train="$work/dots/train.h5" --set data.test="$work/dots/test.h5"
            --set training.learning_rate=0.0001)
    else
        config=configs/fashion-mnist-$variant.yaml; files=(--set data.train="$work/fmnist/train.h5" --set data.test="$work/fmnist/test.h5")
    fi
    variant_args=(--config "$config" "${files[@]}" --set data.train_limit=512 --set data.test_limit=64 --set training.epochs=1
        --set training.batch_size=64 --set training.checkpoint_every=0 --set training.evaluation_count=64
        --set evaluation.iwae_samples=10 --set training.workers=1 --set training.optimizer=sgd --set training.momentum=0.9
        --quiet)
    [ "$variant" = jacobian-l1 ] || variant_args+=(--set training.learning_rate=0.003)
    check "$variant: trains on 1 rank" $vaekit train "${variant_args[@]}" --run "$work/$variant-1"
    check "$variant: trains on 2 ranks" "${mpirun[@]}" -np 2 $vaekit train "${variant_args[@]}" --run "$work/$variant-2"
    check "$variant: 2 ranks match 1 rank (≤ 1e-5)" /usr/bin/python3 Tests/cli/compare_checkpoints.py \
        "$work/$variant-1/checkpoints/checkpoint-8.h5" "$work/$variant-2/checkpoints/checkpoint-8.h5" 1e-5
done
# Each variant's own term is logged per epoch, the same on 1 and 2 ranks (so a penalty can be seen
# to be active): Σ|J|, the consistency KL, the classifier's cross-entropy; the plain HVAE has none.
check "the variants' own terms are logged in metrics.jsonl (1 rank = 2 ranks)" /usr/bin/python3 -c "
import json, sys
def last(run): return [json.loads(l) for l in open('$work/' + run + '/metrics.jsonl')][-1]
ok = True
for variant, key in [('jacobian-l1', 'train_jacobian_l1'), ('consistency', 'train_consistency_kl'), ('supervised', 'train_classifier_cross_entropy')]:
    one, two = last(variant + '-1'), last(variant + '-2')
    ok &= key in one and one[key] > 0 and abs(one[key] - two[key]) <= 1e-3 * abs(one[key])
ok &= not any(k.startswith('train_') and k not in ('train_loss', 'train_reconstruction', 'train_kl', 'train_steps') for k in last('hvae-1'))
sys.exit(not ok)"
check "hvae: IWAE NLL through the flow" $vaekit evaluate --checkpoint "$work/hvae-1/checkpoints/checkpoint-8.h5" --samples 10 --count 16 --json "$work/hvae.json"
check "hvae: evaluation wrote a finite NLL" /usr/bin/python3 -c \
    "import json,math,sys; sys.exit(not math.isfinite(json.load(open('$work/hvae.json'))['nll']))"
check "hvae: the Gaussian experiment runs" $vaekit experiment hvae-gaussian --dimensions 2 --repetitions 1 --iterations 200 --json "$work/gauss.json"
check "consistency: representation metrics" $vaekit evaluate --checkpoint "$work/consistency-1/checkpoints/checkpoint-8.h5" \
    --samples 10 --count 64 --representation --probe-train-count 256 --json "$work/cr.json"
check "consistency: metrics in the JSON" /usr/bin/python3 -c \
    "import json,sys,math; d=json.load(open('$work/cr.json')); sys.exit(not (0 <= d['active_units'] <= 32 and 0 <= d['linear_probe_accuracy'] <= 1 \
and abs(d['mutual_information_ceiling'] - math.log(64)) < 1e-9 and d['mutual_information'] < d['mutual_information_ceiling'] + 0.5))"
check "supervised: invariances" $vaekit invariances --checkpoint "$work/supervised-1/checkpoints/checkpoint-8.h5" --count 32 --draws 4 \
    --output "$work/inv.png" --json "$work/inv.json"
check "supervised: grid and metrics written" /usr/bin/python3 -c \
    "import json,sys; from PIL import Image; d=json.load(open('$work/inv.json')); im=Image.open('$work/inv.png'); sys.exit(not (0 <= d['label_preservation'] <= 1 and 0 <= d['control_preservation'] <= 1 \
and d['nuisance_latents'] == 24 and 0 <= d['nuisance_active_units'] <= 24 and im.size[0] > 0))"
check "jacobian-l1: local MIG and modularity" $vaekit disentanglement --checkpoint "$work/jacobian-l1-1/checkpoints/checkpoint-8.h5" \
    --clusters 2 --samples 300 --json "$work/dis.json"
# The studies (`vaekit experiment <study>`): settings × seeds trained and measured on 1, 2 and 4
# ranks to the same values, a second call reusing measured runs, the summary with Welch's column.
study_args=(--set data.train="$work/fmnist/train.h5" --set data.test="$work/fmnist/test.h5" --set data.train_limit=256
    --set data.test_limit=64 --set training.epochs=1 --set training.batch_size=64 --set training.checkpoint_every=0
    --set training.evaluation_count=64 --set training.workers=1 --set training.optimizer=sgd --set training.momentum=0.9
    --set training.learning_rate=0.003 --seeds 2 --nll-samples 10 --nll-count 32 --quiet)
check "experiment consistency: a λ study on 1 rank" $vaekit experiment consistency --lambdas 0,1 --no-vae "${study_args[@]}" \
    --folder "$work/study-1"
for ranks in 2 4; do
    check "experiment consistency: the same study on $ranks ranks" "${mpirun[@]}" -np $ranks $vaekit experiment consistency \
        --lambdas 0,1 --no-vae "${study_args[@]}" --folder "$work/study-$ranks"
    check "… $ranks ranks measure what 1 rank does (every value ≤ 1e-3 relative)" /usr/bin/python3 -c "
import json, sys
one, many = (json.load(open('$work/study-' + r + '/study.json')) for r in ('1', '$ranks'))
cells = lambda s: {(q['name'], c['setting']): c['values'] for q in s['quantities'] for c in q['cells']}
a, b = cells(one), cells(many)
ok = a.keys() == b.keys() and len(a) >= 10 and all(len(v) == 2 for v in a.values())
ok &= all(abs(x - y) <= 1e-3 * max(1, abs(x)) for k in a for x, y in zip(a[k], b[k]) if x == x)
ok &= one['format'] == 'vaekit-study-1' and one['settings'][0]['name'] == 'lambda-0'
sys.exit(not ok)"
done
check "… the summary tests λ = 1 against λ = 0 (Welch's t, df, p)" /usr/bin/python3 -c "
import json, sys
s = json.load(open('$work/study-1/study.json'))
nll = next(q for q in s['quantities'] if q['name'] == 'nll')['cells']
w = nll[1]['welch']
sys.exit(not (nll[0].get('welch') is None and w['degrees_of_freedom'] > 0 and 0 <= w['p'] <= 1
    and abs(w['difference'] - (nll[1]['summary']['mean'] - nll[0]['summary']['mean'])) < 1e-9))"
check "… study.txt starts with the command and holds the table" bash -c \
    "head -1 '$work/study-1/study.txt' | grep -q 'vaekit experiment consistency' && grep -q '^nll ' '$work/study-1/study.txt'"
check "… a second call reuses all 4 measured runs" bash -c \
    "[ \$($vaekit experiment consistency --lambdas 0,1 --no-vae ${study_args[*]} --folder '$work/study-1' | grep -c 'measured before') = 4 ]"
refuses "… and refuses to mix in runs of another design (another --set)" "choose another --folder" $vaekit experiment \
    consistency --lambdas 0,1 --no-vae "${study_args[@]}" --set training.batch_size=32 --folder "$work/study-1"
check "experiment jacobian-l1: Σ|J|, sparsity, locality and local MIG per γ" $vaekit experiment jacobian-l1 --gammas 0,0.1 \
    --seeds 2 --cluster-samples 50 --jacobian-count 4 --set data.train="$work/dots/train.h5" --set data.test="$work/dots/test.h5" \
    --set training.epochs=1 --set training.learning_rate=0.0001 --set training.workers=1 --quiet --folder "$work/study-jl"
check "… its quantities" /usr/bin/python3 -c "
import json, sys
names = {q['name'] for q in json.load(open('$work/study-jl/study.json'))['quantities']}
sys.exit(not {'jacobian_l1', 'jacobian_mass_fraction_90', 'jacobian_pixel_spread', 'local_mig_0.1', 'train_jacobian_l1'} <= names)"
refuses "experiment study: a malformed --setting" "expected NAME:key=value" $vaekit experiment study \
    --config configs/fashion-mnist-mlp.yaml --setting nocolon
refuses "experiment study: an unknown measure" "'speed' is not one of" $vaekit experiment study \
    --config configs/fashion-mnist-mlp.yaml --setting a:training.beta=1 --measure speed
refuses "experiment study: a repeated setting" "must not repeat" $vaekit experiment study \
    --config configs/fashion-mnist-mlp.yaml --setting a:training.beta=1 --setting a:training.beta=2 --folder "$work/bad-study"
refuses "experiment hvae: an unknown tempering" "expected some of none, fixed, free" $vaekit experiment hvae --tempering warm
refuses "experiment consistency: a negative λ" "expected comma-separated numbers ≥ 0" $vaekit experiment consistency --lambdas 0,-1
refuses "supervised VAE on unlabelled data" "label -1 is outside" $vaekit train --config configs/fashion-mnist-supervised.yaml \
    --set data.train="$work/dots/train.h5" --set data.test="$work/dots/test.h5" --set model.latent=10 --run "$work/bad-sup" --quiet
refuses "invariances of a model without z_s" "not a supervised VAE" $vaekit invariances --checkpoint "$work/hvae-1/checkpoints/checkpoint-8.h5"
refuses "Jacobian-L1 with a 256-way decoder" "categorical256" $vaekit train --config configs/three-dots-jacobian-l1.yaml --set model.likelihood=categorical256 --run "$work/bad-jl"

check "no temporary files left" bash -c "! ls $work/run/checkpoints | grep -q tmp"

# Ranks other than 0 write no file: they once "opened" their metrics log at /dev/null, and
# Foundation's createFile replaced the device with a regular file (as root).
check "/dev/null is still a character device after the multi-rank runs" test -c /dev/null
echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
