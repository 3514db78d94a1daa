/*
 * Parsing throughput of nodejs/http-parser, the C request parser llhttp grew out of: the peer of
 * http-bench. The corpus of pipelined requests (Benchmarks/corpus/http-requests.py) goes to one
 * parser in 16 KiB pieces, PASSES times; the callbacks look at every URL, header and body span,
 * as a server's would.
 *
 * Usage: http-parser CORPUS [PASSES=5]
 * Prints: requests/s=<rate> MB/s=<rate> requests=<requests in one pass> bytes_seen=<bytes of
 * the spans in one pass>, the line http-bench prints.
 *
 * Built by scripts/bench/http.sh (scripts/lib/bench.sh), with Debian's libhttp-parser-dev:
 *   gcc -O2 -o .build-bench/peers/http-parser Benchmarks/peers/c/http-parser.c -lhttp_parser
 */
#include <http_parser.h>
#include "corpus.h"

struct tally {
    long requests;
    size_t span_bytes;
};

static int count_span(http_parser *parser, const char *at, size_t length) {
    (void)at;
    ((struct tally *)parser->data)->span_bytes += length;
    return 0;
}

static int count_request(http_parser *parser) {
    ((struct tally *)parser->data)->requests++;
    return 0;
}

int main(int argc, char **argv) {
    int passes;
    size_t length;
    char *bytes = load_arguments("http-parser", argc, argv, &length, &passes);

    http_parser_settings callbacks;
    http_parser_settings_init(&callbacks);
    callbacks.on_url = count_span;
    callbacks.on_header_field = count_span;
    callbacks.on_header_value = count_span;
    callbacks.on_body = count_span;
    callbacks.on_message_complete = count_request;

    struct tally tally = {0, 0};
    double start = seconds_now();
    for (int pass = 0; pass < passes; pass++) {
        http_parser parser;
        http_parser_init(&parser, HTTP_REQUEST);
        parser.data = &tally;
        for (size_t offset = 0; offset < length; offset += PIECE) {
            size_t piece = length - offset < PIECE ? length - offset : PIECE;
            size_t used = http_parser_execute(&parser, &callbacks, bytes + offset, piece);
            if (used != piece) {
                fprintf(stderr, "http-parser: %s at byte %zu\n",
                        http_errno_description(HTTP_PARSER_ERRNO(&parser)), offset + used);
                return 1;
            }
        }
    }
    double elapsed = seconds_now() - start;

    printf("requests/s=%.0f MB/s=%.1f requests=%ld bytes_seen=%zu\n", tally.requests / elapsed,
           (double)length * passes / elapsed / 1e6, tally.requests / passes, tally.span_bytes / passes);
    free(bytes);
    return 0;
}
