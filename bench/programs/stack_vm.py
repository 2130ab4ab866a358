"""A small interpreter loop: an assembler and a stack bytecode VM in Python (if/elif dispatch,
calls, locals) running prime counting, fib and Collatz. No direct pyperformance counterpart."""

PRIMES_BELOW = 4000
FIB_N = 19
COLLATZ_UP_TO = 800

SOURCE = """
; count the primes below arg 0
count_primes:       ; locals: 0 = limit, 1 = i, 2 = count
    push 0
    store 2
    push 2
    store 1
cp_loop:
    load 1
    load 0
    lt
    jz cp_done
    load 1
    call is_prime 1
    load 2
    add
    store 2
    load 1
    push 1
    add
    store 1
    jmp cp_loop
cp_done:
    load 2
    ret

is_prime:           ; locals: 0 = n, 1 = d
    push 2
    store 1
ip_loop:
    load 1
    dup
    mul
    load 0
    gt
    jnz ip_yes      ; d * d > n: no divisor found
    load 0
    load 1
    mod
    jz ip_no
    load 1
    push 1
    add
    store 1
    jmp ip_loop
ip_yes:
    push 1
    ret
ip_no:
    push 0
    ret

fib:                ; locals: 0 = n
    load 0
    push 2
    lt
    jz fib_rec
    load 0
    ret
fib_rec:
    load 0
    push 1
    sub
    call fib 1
    load 0
    push 2
    sub
    call fib 1
    add
    ret

collatz_total:      ; locals: 0 = limit, 1 = k, 2 = x, 3 = total
    push 0
    store 3
    push 1
    store 1
ct_outer:
    load 1
    load 0
    gt
    jnz ct_done
    load 1
    store 2
ct_inner:
    load 2
    push 1
    eq
    jnz ct_next
    load 3
    push 1
    add
    store 3
    load 2
    push 2
    mod
    jz ct_even
    load 2
    push 3
    mul
    push 1
    add
    store 2
    jmp ct_inner
ct_even:
    load 2
    push 2
    div
    store 2
    jmp ct_inner
ct_next:
    load 1
    push 1
    add
    store 1
    jmp ct_outer
ct_done:
    load 3
    ret
"""

(PUSH, LOAD, STORE, ADD, SUB, MUL, DIV, MOD, LT, GT, EQ, JMP, JZ, JNZ, CALL, RET, DUP,
 POP) = range(18)
OPCODES = {name: code for code, name in enumerate(
    "push load store add sub mul div mod lt gt eq jmp jz jnz call ret dup pop".split())}
NLOCALS = 8


def assemble(source):
    """Two passes: label addresses, then a flat list of ints (opcode followed by its operands)."""
    labels = {}
    items = []
    address = 0
    for raw in source.splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        if line.endswith(":"):
            labels[line[:-1]] = address
            continue
        parts = line.split()
        items.append(parts)
        address += len(parts)
    code = []
    for parts in items:
        code.append(OPCODES[parts[0]])
        for arg in parts[1:]:
            code.append(labels[arg] if arg in labels else int(arg))
    return code, labels


def run(code, entry, args):
    stack = []
    frames = []
    local = list(args) + [0] * (NLOCALS - len(args))
    pc = entry
    steps = 0
    while True:
        op = code[pc]
        steps += 1
        if op == LOAD:
            stack.append(local[code[pc + 1]])
            pc += 2
        elif op == PUSH:
            stack.append(code[pc + 1])
            pc += 2
        elif op == STORE:
            local[code[pc + 1]] = stack.pop()
            pc += 2
        elif op == ADD:
            b = stack.pop()
            stack[-1] += b
            pc += 1
        elif op == SUB:
            b = stack.pop()
            stack[-1] -= b
            pc += 1
        elif op == MUL:
            b = stack.pop()
            stack[-1] *= b
            pc += 1
        elif op == DIV:
            b = stack.pop()
            stack[-1] //= b
            pc += 1
        elif op == MOD:
            b = stack.pop()
            stack[-1] %= b
            pc += 1
        elif op == LT:
            b = stack.pop()
            stack[-1] = 1 if stack[-1] < b else 0
            pc += 1
        elif op == GT:
            b = stack.pop()
            stack[-1] = 1 if stack[-1] > b else 0
            pc += 1
        elif op == EQ:
            b = stack.pop()
            stack[-1] = 1 if stack[-1] == b else 0
            pc += 1
        elif op == JMP:
            pc = code[pc + 1]
        elif op == JZ:
            pc = code[pc + 1] if stack.pop() == 0 else pc + 2
        elif op == JNZ:
            pc = code[pc + 1] if stack.pop() != 0 else pc + 2
        elif op == DUP:
            stack.append(stack[-1])
            pc += 1
        elif op == POP:
            stack.pop()
            pc += 1
        elif op == CALL:
            nargs = code[pc + 2]
            new_local = stack[len(stack) - nargs:] + [0] * (NLOCALS - nargs)
            del stack[len(stack) - nargs:]
            frames.append((pc + 3, local))
            local = new_local
            pc = code[pc + 1]
        elif op == RET:
            if not frames:
                return stack.pop(), steps
            pc, local = frames.pop()
        else:
            raise ValueError("bad opcode %r at %d" % (op, pc))


def bench():
    code, labels = assemble(SOURCE)
    primes = run(code, labels["count_primes"], [PRIMES_BELOW])
    fib = run(code, labels["fib"], [FIB_N])
    collatz = run(code, labels["collatz_total"], [COLLATZ_UP_TO])
    # (result, VM steps) for each program: 550 primes below 4000, fib(19) = 4181, and the total
    # Collatz stopping time of 1..800.
    assert (primes, fib, collatz) == ((550, 567329), (4181, 135286), (45996, 824318)), \
        (primes, fib, collatz)
