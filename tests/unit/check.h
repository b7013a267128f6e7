/* The unit tests' one assertion: CHECK(cond) counts a failure and says where
 * (the first 20), and the test's main returns failures != 0. */
#ifndef CW_TEST_CHECK_H
#define CW_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond) && failures++ < 20)                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    } while (0)

#endif
