/*
 * Hashing of addresses and ids for the runtime's tables and caches.
 */
#ifndef CW_HASH_H
#define CW_HASH_H

#include <stdint.h>

/* Full avalanche (MurmurHash3's finaliser): for keys built of several
 * values, whose low bits alone would collide. */
static inline uint64_t cw_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* Fibonacci hashing of an address into `bits` bits: addresses a few bytes
 * apart (neighbouring locks, call sites) land far apart. */
static inline uint32_t cw_hash_addr(uint64_t addr, unsigned bits)
{
    return (uint32_t)((addr * 0x9e3779b97f4a7c15ull) >> (64 - bits));
}

#endif
