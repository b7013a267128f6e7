/*
 * gen_corpus MB FILE: write MB MiB of web-server-log-like text to FILE, the
 * input of the real-program workload (zstd -T4).  Deterministic (fixed seed),
 * so every machine compresses the same bytes; it compresses about like real
 * logs (zstd -3: roughly 4-5x), neither trivially (zeros) nor not at all
 * (random bytes, which zstd stores raw).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t s = 0x2545f4914f6cdd1dull;

static uint32_t rnd(uint32_t n)
{
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return (uint32_t)((s >> 11) % n);
}

#define PICK(a) a[rnd(sizeof a / sizeof a[0])]

static const char *methods[] = { "GET", "GET", "GET", "GET", "POST", "PUT", "DELETE", "HEAD" };
static const char *paths[] = {
    "/api/v1/items", "/api/v1/users", "/api/v2/orders", "/static/js/app.js", "/static/css/main.css",
    "/images/logo.png", "/login", "/logout", "/search", "/api/v1/cart", "/healthz", "/metrics",
    "/api/v2/products", "/docs/index.html", "/favicon.ico", "/api/v1/sessions",
};
static const char *params[] = { "", "", "?page=", "?id=", "?q=widget&page=", "?sort=asc&limit=", "?ref=mail&id=" };
static const int codes[] = { 200, 200, 200, 200, 200, 200, 304, 301, 404, 500, 201, 204 };
static const char *agents[] = {
    "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "curl/7.88.1", "python-requests/2.28.1", "Go-http-client/1.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
};
static const char *hosts[] = { "web-01", "web-02", "web-03", "web-04", "edge-a", "edge-b" };

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen_corpus MB FILE\n");
        return 2;
    }
    long long want = atoll(argv[1]) * 1024 * 1024;
    FILE *f = fopen(argv[2], "w");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    static char buf[1 << 16];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    long long written = 0;
    unsigned t = 1700000000u;
    while (written < want) {
        t += rnd(3);
        unsigned ms = rnd(1000);
        const char *param = PICK(params);
        char arg[16] = "";
        if (param[0])
            snprintf(arg, sizeof arg, "%u", rnd(4) ? rnd(50) : rnd(100000));
        int n = fprintf(f,
                        "%u.%03u %s nginx[%u]: %u.%u.%u.%u - - \"%s %s%s%s HTTP/1.1\" %d %u \"-\" \"%s\" rt=%u.%03u\n",
                        t, ms, PICK(hosts), 1000 + rnd(64), 10 + rnd(3), rnd(256), rnd(256), 1 + rnd(254),
                        PICK(methods), PICK(paths), param, arg, PICK(codes),
                        rnd(4) ? rnd(60000) : rnd(2000000), PICK(agents), rnd(2), rnd(1000));
        if (n < 0) {
            perror(argv[2]);
            return 1;
        }
        written += n;
    }
    if (fclose(f) != 0) {
        perror(argv[2]);
        return 1;
    }
    return 0;
}
