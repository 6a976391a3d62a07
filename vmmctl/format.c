// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl: output helpers of list, stats and monitor: a text table, a
 * JSON writer, and human-readable sizes, ages, durations and times.
 */
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"

void *xnonnull(void *p)
{
	if (!p) {
		fprintf(stderr, "vmmctl: out of memory\n");
		exit(1);
	}
	return p;
}

void table_init(struct table *t, const char *align)
{
	memset(t, 0, sizeof(*t));
	t->align = align;
	t->ncols = (unsigned int)strlen(align);
	if (t->ncols > TABLE_MAX_COLS)
		t->ncols = TABLE_MAX_COLS;
}

void table_row(struct table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->cells = xnonnull(realloc(t->cells, t->cap * t->ncols *
					    sizeof(*t->cells)));
	}
	for (unsigned int c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = xnonnull(strdup(cells[c]));
	t->nrows++;
}

void table_print(const struct table *t, FILE *f, const char *indent)
{
	int width[TABLE_MAX_COLS] = { 0 };

	for (size_t r = 0; r < t->nrows; r++)
		for (unsigned int c = 0; c < t->ncols; c++) {
			int w = (int)strlen(t->cells[r * t->ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		fputs(indent, f);
		for (unsigned int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			bool last = c + 1 == t->ncols;
			int w = width[c];

			if (c)
				fputs("  ", f);
			if (t->align[c] == 'r')
				fprintf(f, "%*s", w, s);
			else if (last)
				fputs(s, f);
			else
				fprintf(f, "%-*s", w, s);
		}
		fputc('\n', f);
	}
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void json_begin(struct json *j, FILE *f)
{
	j->f = f;
	j->first = true;
	fputc('{', f);
}

void json_key(struct json *j, const char *key)
{
	if (!j->first)
		fputc(',', j->f);
	j->first = false;
	json_string(j->f, key);
	fputc(':', j->f);
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void json_str(struct json *j, const char *key, const char *v)
{
	json_key(j, key);
	json_string(j->f, v);
}

void json_double(struct json *j, const char *key, double v)
{
	json_key(j, key);
	fprintf(j->f, "%.3f", v);
}

void json_end(struct json *j)
{
	fputc('}', j->f);
}

void fmt_size(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	double x = (double)bytes;
	char *dot;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64, bytes);
		return;
	}
	while (x >= 1024 && u < 5) {
		x /= 1024;
		u++;
	}
	/* 1023.7M would print as "1024M": say 1G instead. */
	if (x >= 1023.5 && u < 5) {
		x /= 1024;
		u++;
	}
	if (x < 9.95) {
		/* One decimal below 10, without a useless ".0": 1.5G, 1G. */
		snprintf(buf, len, "%.1f%c", x, units[u]);
		dot = strstr(buf, ".0");
		if (dot)
			memmove(dot, dot + 2, strlen(dot + 2) + 1);
	} else {
		snprintf(buf, len, "%.0f%c", x, units[u]);
	}
}

void fmt_age(char *buf, size_t len, uint64_t ns)
{
	uint64_t s = ns / 1000000000ULL;

	if (s < 60)
		snprintf(buf, len, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
			 s / 60 % 60);
	else
		snprintf(buf, len, "%" PRIu64 "d", s / 86400);
}

void fmt_duration(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.3fs", (double)ns / 1e9);
}

void fmt_iso_time(char *buf, size_t len, uint64_t realtime_ns)
{
	time_t sec = (time_t)(realtime_ns / 1000000000ULL);
	unsigned int ms = (unsigned int)(realtime_ns % 1000000000ULL / 1000000);
	char date[32], zone[8];
	struct tm tm;

	if (!localtime_r(&sec, &tm)) {
		snprintf(buf, len, "%" PRIu64 ".%03u", (uint64_t)sec, ms);
		return;
	}
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);	/* +0100 */
	if (strlen(zone) == 5)
		snprintf(buf, len, "%s.%03u%.3s:%s", date, ms, zone, zone + 3);
	else
		snprintf(buf, len, "%s.%03u%s", date, ms, zone);
}

void fmt_user(char *buf, size_t len, uint32_t uid)
{
	struct passwd *pw = getpwuid((uid_t)uid);

	if (pw && pw->pw_name && *pw->pw_name)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%" PRIu32, uid);
}

double rate_per_sec(uint64_t now, uint64_t before, double secs)
{
	if (secs <= 0 || now < before)
		return 0;
	return (double)(now - before) / secs;
}

const char *name_or_number(const char *name, uint32_t v, char *buf,
			   size_t len)
{
	if (name)
		return name;
	snprintf(buf, len, "%" PRIu32, v);
	return buf;
}
