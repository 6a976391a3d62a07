/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmctl: small output helpers shared by list, stats and monitor
 * (format.c), and the names of exit reasons, VM states and events
 * (names.c).  Nothing here talks to the kernel.
 */
#ifndef VMMCTL_FORMAT_H
#define VMMCTL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Print "vmmctl: out of memory" and exit 1 if p is NULL; else return p. */
void *xnonnull(void *p);

/*
 * A text table: cells are formatted first, then every column gets the
 * width of its widest cell.  Columns are separated by two spaces; align
 * holds one character per column, 'l' (left) or 'r' (right).  Rows are
 * printed in the order they were added (a header is just the first row;
 * a sub-header can be added in the middle).  No trailing blanks.  At
 * most TABLE_MAX_COLS columns.
 */
#define TABLE_MAX_COLS	12

struct table {
	const char *align;
	unsigned int ncols;
	size_t nrows, cap;
	char **cells;		/* nrows * ncols strings */
};

void table_init(struct table *t, const char *align);
/* Add a row of ncols strings (copied). */
void table_row(struct table *t, const char *const *cells);
/* Print every row, each line starting with indent. */
void table_print(const struct table *t, FILE *f, const char *indent);
void table_free(struct table *t);

/*
 * A JSON object written as it goes: json_begin prints "{", every key
 * prints the comma it needs, json_end prints "}".  Strings are escaped.
 */
struct json {
	FILE *f;
	bool first;
};

void json_string(FILE *f, const char *s);
void json_begin(struct json *j, FILE *f);
void json_key(struct json *j, const char *key);		/* ,"key": */
void json_u64(struct json *j, const char *key, uint64_t v);
void json_str(struct json *j, const char *key, const char *v);
/* A rate or other fraction: always with three decimals, e.g. 12.500. */
void json_double(struct json *j, const char *key, double v);
void json_end(struct json *j);

/* Sizes like ls -h: 512, 4K, 1.5K, 64M, 1.5G, 10G (powers of 1024). */
void fmt_size(char *buf, size_t len, uint64_t bytes);

/* Ages: 5s, 3m12s, 2h03m, 4d (truncated, never rounded up). */
void fmt_age(char *buf, size_t len, uint64_t ns);

/* Durations: 950ns, 12.5us, 35.2ms, 1.204s. */
void fmt_duration(char *buf, size_t len, uint64_t ns);

/*
 * A CLOCK_REALTIME instant in ISO 8601 local time with milliseconds,
 * e.g. 2025-01-05T14:03:07.123+01:00.
 */
void fmt_iso_time(char *buf, size_t len, uint64_t realtime_ns);

/* The user name of uid, or the number when it has none. */
void fmt_user(char *buf, size_t len, uint32_t uid);

/*
 * Per-second rate of a counter that went from before to now in secs
 * seconds: (now - before) / secs; 0 if secs <= 0 or the counter went
 * backwards.
 */
double rate_per_sec(uint64_t now, uint64_t before, double secs);

/* ------------------------------------------------------------------ */
/* Names (names.c)                                                     */
/* ------------------------------------------------------------------ */

/*
 * VMX basic exit reason (SDM Vol. 3D Appendix C) as Linux's
 * VMX_EXIT_REASONS spells it, e.g. "CPUID"; NULL if it has no name.
 */
const char *vmx_exit_name(uint32_t reason);
/* VMM_EXIT_* (run->exit_reason) without the prefix, e.g. "IO"; or NULL. */
const char *user_exit_name(uint32_t reason);
/* enum vmm_vm_state: "created", "running", ...; or NULL. */
const char *vm_state_name(uint32_t state);
/* enum vmm_event: "vm-created", ...; or NULL. */
const char *vm_event_name(uint32_t type);

/* name, or the decimal number when name is NULL (buf holds it). */
const char *name_or_number(const char *name, uint32_t v, char *buf,
			   size_t len);

#endif /* VMMCTL_FORMAT_H */
