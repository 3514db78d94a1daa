/*
 * What the C peers share: their command line, loading the corpus file whole, the size of the
 * pieces it is fed in, and a monotonic clock. Included by hiredis-reader.c and http-parser.c
 * (gcc finds it next to them).
 */
#ifndef PEERS_CORPUS_H
#define PEERS_CORPUS_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* 16 KiB, the pieces the Swift benchmarks feed their decoders too. */
#define PIECE 16384

/* Reads the file at path into memory; exits, naming program, when it cannot. */
static char *read_corpus(const char *program, const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "%s: ", program);
        perror(path);
        exit(1);
    }
    fseek(file, 0, SEEK_END);
    *length = (size_t)ftell(file);
    rewind(file);
    char *bytes = malloc(*length);
    if (bytes == NULL || fread(bytes, 1, *length, file) != *length) {
        fprintf(stderr, "%s: cannot read %s\n", program, path);
        exit(1);
    }
    fclose(file);
    return bytes;
}

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* The command line CORPUS [PASSES=5]: loads CORPUS and sets *passes (at least 1); exits with
   a usage message naming program when CORPUS is missing. */
static char *load_arguments(const char *program, int argc, char **argv, size_t *length, int *passes) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS [PASSES]\n", program);
        exit(2);
    }
    *passes = argc > 2 ? atoi(argv[2]) : 5;
    if (*passes < 1) *passes = 1;
    return read_corpus(program, argv[1], length);
}

#endif
