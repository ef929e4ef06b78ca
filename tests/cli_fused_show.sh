#!/bin/sh
# cli_fused_show.sh -- inspecting and running fused step kernels from the
# command line (jit/fused_show.c, zj_eval_tiered): `zerojit show
# --tier=fused` lists every Predict/Learn instruction with the machine code
# (or C-like statements) implementing it, with and without objdump; an op
# without a fused form is a one-line error; `zerojit eval --jit=fused`
# prints the figures of --jit=off.
. "${top_srcdir:-.}/tests/cli_lib.sh"

T='tasks { scalar_linear_regression_task {} features_size: 4 num_train_examples: 100 num_valid_examples: 50 num_tasks: 3 eval_type: RMS_ERROR data_seeds: 1 param_seeds: 2 }'
T8='tasks { scalar_linear_regression_task {} features_size: 8 num_train_examples: 60 num_valid_examples: 30 num_tasks: 5 eval_type: RMS_ERROR data_seeds: 3 param_seeds: 4 }'
cat > "$tmp/exp.txt" <<'EOF'
def Setup():
  s2 = 0.01
def Predict():
  s3 = dot(v1, v0)
  s1 = exp(s3)
def Learn():
  s3 = s0 - s1
  v1 = s3 * v0
EOF

if ! "$ZEROJIT" --version | grep -q libgccjit; then
  expect 1 '^zerojit show: built without the JIT' "show without the JIT: one-line error" -- \
    "$ZEROJIT" show --program "$programs/linear_regression.txt" --tier=fused --emit=asm
  "$ZEROJIT" eval --program "$programs/linear_regression.txt" --tasks "$T" --jit=off > "$tmp/off" 2>&1
  "$ZEROJIT" eval --program "$programs/linear_regression.txt" --tasks "$T" --jit=fused > "$tmp/fu" 2> "$tmp/fu.err" \
    && grep -q 'built without the JIT' "$tmp/fu.err" && cmp -s "$tmp/off" "$tmp/fu" \
    && ok "eval --jit=fused without the JIT: a note, the figures of --jit=off" \
    || bad "eval --jit=fused without the JIT: $(cat "$tmp/fu.err")"
  finish
  exit $?
fi
if ! grep -qw avx2 /proc/cpuinfo; then
  echo "no AVX2: no fused kernels"
  finish
  exit $?
fi

# The program's Predict and Learn instructions, in order.
instrs () {
  awk '/^def (Predict|Learn)/{on=1; next} /^def /{on=0} on && /^  [^ #]/{sub(/^  /, ""); print}' "$1"
}

# check_asm NAME PROGRAM MEMORY [ENV...]: every instruction listed in
# order, each with at least one machine instruction under it.
check_asm () {
  name=$1 prog=$2 mem=$3
  shift 3
  env "$@" "$ZEROJIT" show --program "$prog" --memory "$mem" --tier=fused --emit=asm \
    > "$tmp/$name.lst" 2> "$tmp/$name.err" \
    || { bad "$name: show --tier=fused failed: $(cat "$tmp/$name.err")"; return; }
  instrs "$prog" > "$tmp/$name.want"
  # Instruction lines (two spaces, not a comment) and the machine lines
  # under each ("    ADDR: insn" from objdump, "    insn" from the .s).
  awk '/^  [^ #]/{if (h != "") print n, h; h = substr($0, 3); n = 0; next}
       /^  #/{if (h != "") print n, h; h = ""; next}
       /^    [^ (]/ || /^ +[0-9a-f]+:/{n++}
       END{if (h != "") print n, h}' "$tmp/$name.lst" > "$tmp/$name.got"
  if ! cut -d' ' -f2- "$tmp/$name.got" | cmp -s - "$tmp/$name.want"; then
    bad "$name: listed instructions differ from the program: $(cut -d' ' -f2- "$tmp/$name.got" | diff - "$tmp/$name.want" | head -5)"
  elif awk '$1 == 0{z=1} END{exit !z}' "$tmp/$name.got"; then
    bad "$name: an instruction without machine code: $(awk '$1 == 0' "$tmp/$name.got" | head -3)"
  else
    ok "$name: $(wc -l < "$tmp/$name.want") instructions, each with its machine code"
  fi
}
check_asm linear "$programs/linear_regression.txt" 4,3,1
check_asm nn "$programs/neural_net.txt" 5,9,2
grep -q '^ *[0-9a-f]*:.*v[a-z]*pd' "$tmp/nn.lst" && grep -q 'objdump -dl' "$tmp/nn.lst" \
  && ok "objdump listing has addressed vector instructions" \
  || bad "no objdump disassembly in the listing: $(head -3 "$tmp/nn.lst")"
# Without objdump: the assembly's .loc lines.
mkdir "$tmp/bin"
printf '#!/bin/sh\nexit 127\n' > "$tmp/bin/objdump"
chmod +x "$tmp/bin/objdump"
check_asm nn_noobjdump "$programs/neural_net.txt" 5,9,2 PATH="$tmp/bin:$PATH"
grep -q "objdump not found" "$tmp/nn_noobjdump.lst" \
  && ok "without objdump the listing says where its code comes from" \
  || bad "no fallback note: $(head -3 "$tmp/nn_noobjdump.lst")"

# --emit=c: each instruction as a comment followed by its statements.
"$ZEROJIT" show --program "$programs/neural_net.txt" --memory 5,9,2 --tier=fused --emit=c \
  > "$tmp/nn.c" 2> "$tmp/nn.c.err" || bad "show --emit=c failed: $(cat "$tmp/nn.c.err")"
instrs "$programs/neural_net.txt" > "$tmp/nnc.want"
awk '/^  \/\* .* \*\/$/{if (h != "" && h !~ /^stores/) print n, h; h = $0; sub(/^  \/\* /, "", h); sub(/ \*\/$/, "", h); n = 0; next}
     /^  [a-z(].*;$/{n++}
     /^[a-z]+:$/{if (h != "" && n > 0 && h !~ /^stores/) {print n, h; h = ""}}' "$tmp/nn.c" > "$tmp/nnc.got"
if ! cut -d' ' -f2- "$tmp/nnc.got" | cmp -s - "$tmp/nnc.want"; then
  bad "emit=c: commented instructions differ: $(cut -d' ' -f2- "$tmp/nnc.got" | diff - "$tmp/nnc.want" | head -5)"
elif awk '$1 == 0{z=1} END{exit !z}' "$tmp/nnc.got"; then
  bad "emit=c: an instruction without statements"
else
  ok "emit=c: each instruction commented, with its statements"
fi

# An op without a fused form: one line naming it, exit 1.
expect 1 "^zerojit show: --tier=fused: Predict instruction 2 's1 = exp\(s3\)': op SCALAR_EXP_OP has no fused form" \
  "unsupported op: error naming it" -- \
  "$ZEROJIT" show --program "$tmp/exp.txt" --tier=fused --emit=asm
[ "$(wc -l < "$tmp/out")" -eq 1 ] && ok "unsupported op: one line" \
  || bad "unsupported op: $(wc -l < "$tmp/out") lines"

# eval --jit=fused: the figures of --jit=off, and a line saying so.
for f in "$programs"/*.txt; do
  for tasks in "$T" "$T8"; do
    n=$(basename "$f" .txt)
    "$ZEROJIT" eval --program "$f" --tasks "$tasks" --jit=off > "$tmp/off" 2>&1
    "$ZEROJIT" eval --program "$f" --tasks "$tasks" --jit=fused > "$tmp/fu" 2> "$tmp/fu.err"
    rc=$?
    if [ $rc -ne 0 ] || ! grep -q '^zerojit eval: tier fused: Predict and Learn as fused step kernels' "$tmp/fu.err"; then
      bad "eval --jit=fused $n: exit $rc: $(cat "$tmp/fu.err")"
    elif ! [ -s "$tmp/off" ] || ! cmp -s "$tmp/off" "$tmp/fu"; then
      bad "eval --jit=fused $n differs from --jit=off: $(diff "$tmp/off" "$tmp/fu" | head -4)"
    else
      ok "eval --jit=fused $n ($(grep -c '^task' "$tmp/fu") tasks): same figures as --jit=off"
    fi
  done
done
# Not fusable: interpreted with a note, never an error.
"$ZEROJIT" eval --program "$tmp/exp.txt" --tasks "$T" --jit=off > "$tmp/off" 2>&1
"$ZEROJIT" eval --program "$tmp/exp.txt" --tasks "$T" --jit=fused > "$tmp/fu" 2> "$tmp/fu.err"
rc=$?
[ $rc -eq 0 ] && grep -q 'tier interpreter: .*SCALAR_EXP_OP has no fused form.*; interpreted' "$tmp/fu.err" \
  && cmp -s "$tmp/off" "$tmp/fu" \
  && ok "eval --jit=fused, unsupported op: interpreted with a note" \
  || bad "eval --jit=fused unsupported: exit $rc: $(cat "$tmp/fu.err")"
finish
