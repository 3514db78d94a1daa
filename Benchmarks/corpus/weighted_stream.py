"""What the corpus generators share: a seeded stream of entries drawn from a weighted mix, written
to the file named on the command line. Imported by resp-replies.py and http-requests.py, which
Python finds next to them."""
import random
import sys

SEED = 17_2026


def write_stream(usage, mix, default_count=200_000):
    """Runs the command line `OUT [COUNT]`: writes COUNT entries, each made by a maker of `mix`
    ((percent, maker(number, rng) -> bytes) pairs) picked by weight, with a fixed seed so every
    run writes the same bytes."""
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: " + usage)
    count = int(sys.argv[2]) if len(sys.argv) == 3 else default_count
    rng = random.Random(SEED)
    makers = rng.choices([maker for _, maker in mix], weights=[weight for weight, _ in mix], k=count)
    with open(sys.argv[1], "wb") as out:
        out.write(b"".join(maker(number, rng) for number, maker in enumerate(makers)))
