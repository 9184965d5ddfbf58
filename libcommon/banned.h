/*
 * banned.h: calls that pal's code must not use, after git's banned.h.
 * Included last by every file in libcommon/ and cmd/, so that a use of one
 * of these fails to compile with a message naming the call.
 *
 * strcpy, strcat, strncpy, strncat, sprintf, vsprintf: unbounded or easy to
 * truncate silently; use snprintf and check its result.
 * strtok: hidden state; use strtok_r or strsep.
 * atoi, atol, atoll, atof: no error reporting; use parse_u64, parse_double
 * and friends from num.h.
 * gets: cannot be used safely.
 */
#ifndef PAL_BANNED_H
#define PAL_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef atoll
#define atoll(x) BANNED(atoll)
#undef atof
#define atof(x) BANNED(atof)
#undef gets
#define gets(x) BANNED(gets)

#endif
