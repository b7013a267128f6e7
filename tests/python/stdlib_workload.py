"""A threaded workload through much of the standard library, for
tests/check_python_races.py: run with CONCWATCH_PYTHON_RACE_STDLIB=1, the
race checks follow the library's own code too, and on 3.12+ compare the
stack depth they computed for its calls with the interpreter's.  The jobs
share nothing of their own; results come back through the pool.  Prints
4400."""
import concurrent.futures, json, re, textwrap, email.parser, collections, decimal, fractions, statistics, difflib, string, base64, csv, io, heapq, itertools, functools, enum, dataclasses, datetime, pprint, shlex, argparse

@dataclasses.dataclass
class Rec:
    name: str
    n: int

class Color(enum.Enum):
    RED = 1
    BLUE = 2

def job(i):
    out = []
    out.append(json.dumps({"i": i, "l": list(range(i % 7)), "s": "x" * i}))
    out.append(json.loads(out[-1])["i"])
    out.append(re.sub(r"(\d+)", lambda m: str(int(m.group(1)) * 2), "a1b22c333 %d" % i))
    out.append(textwrap.fill("word " * (i % 30 + 5), 20))
    msg = email.parser.Parser().parsestr("From: a@b\nSubject: s%d\n\nbody\n" % i)
    out.append(msg["Subject"])
    out.append(collections.Counter("abracadabra" * (i % 3 + 1)).most_common(2))
    out.append(str(decimal.Decimal(i) / decimal.Decimal(7)))
    out.append(fractions.Fraction(i, 7) + fractions.Fraction(1, 3))
    out.append(statistics.mean(range(1, i % 10 + 2)))
    out.append(list(difflib.unified_diff(["a", "b", str(i)], ["a", "c", str(i)])))
    out.append(string.Template("$x-$y").substitute(x=i, y=i * 2))
    out.append(base64.b64encode(b"abc" * i))
    buf = io.StringIO(); w = csv.writer(buf); w.writerow([i, "x,y", Rec("r", i)]); out.append(buf.getvalue())
    out.append(heapq.nsmallest(3, [(i * 7919) % 101, 5, 99, 1]))
    out.append(list(itertools.islice(itertools.cycle("ab"), 5)))
    out.append(functools.reduce(lambda a, b: a * b, range(1, i % 8 + 2)))
    out.append(Color(1 + i % 2).name)
    out.append(datetime.date(2020, 1, 1 + i % 28).isoformat())
    out.append(pprint.pformat({"k": list(range(i % 5))}))
    out.append(shlex.split("a 'b c' d%d" % i))
    p = argparse.ArgumentParser(prog="p"); p.add_argument("--n", type=int); out.append(p.parse_args(["--n", str(i)]).n)
    async_like = [x for x in (y * 2 for y in range(i % 5)) if x]
    out.append(async_like)
    return len(out)

with concurrent.futures.ThreadPoolExecutor(4) as ex:
    print(sum(ex.map(job, range(200))))
