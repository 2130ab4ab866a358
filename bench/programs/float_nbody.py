"""Float arithmetic: a small n-body integrator plus an escape-time fractal, using only +, -, *, /
and sqrt (bit-identical on IEEE-754 platforms). Resembles pyperformance's nbody."""

from math import sqrt

NBODY_STEPS = 60000
NBODY_DT = 0.001
FRACTAL_SIZE = 128
FRACTAL_MAX_ITER = 100


def make_system():
    # A star and four planets on roughly circular orbits (units with G = 1); mutable lists so the
    # integrator updates them in place. Each body: [x, y, z, vx, vy, vz, mass].
    bodies = [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1000.0]]
    for i, (radius, mass, tilt) in enumerate(
            [(1.0, 0.5, 0.01), (1.7, 2.0, -0.02), (2.9, 0.8, 0.03), (4.4, 0.1, 0.005)]):
        speed = sqrt(1000.0 / radius)
        sign = 1.0 if i % 2 == 0 else -1.0
        bodies.append([radius * sign, 0.0, radius * tilt, 0.0, speed * sign, 0.0, mass])
    # Give the star the opposite momentum so the system's centre of mass stays put.
    px = sum(b[3] * b[6] for b in bodies)
    py = sum(b[4] * b[6] for b in bodies)
    pz = sum(b[5] * b[6] for b in bodies)
    star = bodies[0]
    star[3] = -px / star[6]
    star[4] = -py / star[6]
    star[5] = -pz / star[6]
    return bodies


def pairs_of(bodies):
    return [(bodies[i], bodies[j]) for i in range(len(bodies)) for j in range(i + 1, len(bodies))]


def advance(bodies, pairs, dt, steps):
    for _ in range(steps):
        for (b1, b2) in pairs:
            dx = b1[0] - b2[0]
            dy = b1[1] - b2[1]
            dz = b1[2] - b2[2]
            d2 = dx * dx + dy * dy + dz * dz
            mag = dt / (d2 * sqrt(d2))
            m1 = b1[6] * mag
            m2 = b2[6] * mag
            b1[3] -= dx * m2
            b1[4] -= dy * m2
            b1[5] -= dz * m2
            b2[3] += dx * m1
            b2[4] += dy * m1
            b2[5] += dz * m1
        for b in bodies:
            b[0] += dt * b[3]
            b[1] += dt * b[4]
            b[2] += dt * b[5]


def energy(bodies, pairs):
    e = 0.0
    for b in bodies:
        e += 0.5 * b[6] * (b[3] * b[3] + b[4] * b[4] + b[5] * b[5])
    for (b1, b2) in pairs:
        dx = b1[0] - b2[0]
        dy = b1[1] - b2[1]
        dz = b1[2] - b2[2]
        e -= b1[6] * b2[6] / sqrt(dx * dx + dy * dy + dz * dz)
    return e


def fractal(size, max_iter):
    total = 0
    for py in range(size):
        ci = -1.2 + 2.4 * py / size
        for px in range(size):
            cr = -2.1 + 2.8 * px / size
            zr = zi = 0.0
            n = 0
            while n < max_iter:
                zr2 = zr * zr
                zi2 = zi * zi
                if zr2 + zi2 > 4.0:
                    break
                zi = 2.0 * zr * zi + ci
                zr = zr2 - zi2 + cr
                n += 1
            total += n
    return total


def bench():
    bodies = make_system()
    pairs = pairs_of(bodies)
    e0 = energy(bodies, pairs)
    advance(bodies, pairs, NBODY_DT, NBODY_STEPS)
    e1 = energy(bodies, pairs)
    iters = fractal(FRACTAL_SIZE, FRACTAL_MAX_ITER)
    # The energy drifts a little under this integrator; the exact values pin the arithmetic.
    assert abs(e0 - -987.980895417802) < 1e-9, e0
    assert abs(e1 - -987.6433695591516) < 1e-9, e1
    assert iters == 448602, iters
