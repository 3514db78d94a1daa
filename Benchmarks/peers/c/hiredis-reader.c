/*
 * Decoding throughput of hiredis's reply reader, the RESP parser of the C client: the peer of
 * `resp-bench decode`. The corpus (Benchmarks/corpus/resp-replies.py) is fed to a fresh reader
 * in 16 KiB pieces, PASSES times, and every reply is built and freed as a client would.
 *
 * Usage: hiredis-reader CORPUS [PASSES=5]
 * Prints: replies/s=<rate> MB/s=<rate> replies=<replies in one pass>
 *
 * Built by scripts/bench/resp.sh (scripts/lib/bench.sh), with Debian's libhiredis-dev:
 *   gcc -O2 -o .build-bench/peers/hiredis-reader Benchmarks/peers/c/hiredis-reader.c -lhiredis
 */
#include <hiredis/hiredis.h>
#include "corpus.h"

/* Decodes the whole corpus once; returns the number of replies. */
static long decode_pass(const char *bytes, size_t length) {
    redisReader *reader = redisReaderCreate();
    long replies = 0;
    for (size_t offset = 0; offset < length; offset += PIECE) {
        size_t piece = length - offset < PIECE ? length - offset : PIECE;
        if (redisReaderFeed(reader, bytes + offset, piece) != REDIS_OK) {
            fprintf(stderr, "hiredis-reader: feed failed: %s\n", reader->errstr);
            exit(1);
        }
        for (;;) {
            void *reply = NULL;
            if (redisReaderGetReply(reader, &reply) != REDIS_OK) {
                fprintf(stderr, "hiredis-reader: bad reply near byte %zu: %s\n", offset, reader->errstr);
                exit(1);
            }
            if (reply == NULL) break;
            freeReplyObject(reply);
            replies++;
        }
    }
    redisReaderFree(reader);
    return replies;
}

int main(int argc, char **argv) {
    int passes;
    size_t length;
    char *bytes = load_arguments("hiredis-reader", argc, argv, &length, &passes);

    long replies = 0;
    double start = seconds_now();
    for (int pass = 0; pass < passes; pass++) replies += decode_pass(bytes, length);
    double elapsed = seconds_now() - start;

    printf("replies/s=%.0f MB/s=%.1f replies=%ld\n", replies / elapsed,
           (double)length * passes / elapsed / 1e6, replies / passes);
    free(bytes);
    return 0;
}
