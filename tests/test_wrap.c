/* Tests of the word wrapping of console messages (model/wrap.c): table-driven cases, the width from COLUMNS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bg_model.h"

/* bg__wrap of text at width, as a string (caller frees). */
static char *wrapped(const char *text, int width)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    bg__wrap(f, text, width);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void test_cases(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int width;
        const char *want;
    } cases[] = {
        /* Short lines pass as they are, with a newline added. */
        {"short", 80, "short\n"},
        {"short\n", 80, "short\n"},
        {"", 80, ""},
        /* Breaks at the last space that fits; continuation indented two
         * columns under the line's start. */
        {"aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii", 24,
         "aaaa bbbb cccc dddd eeee\n  ffff gggg hhhh iiii\n"},
        /* A line's own indent is kept, and the continuation goes two past it. */
        {"    note: one two three four five six seven eight nine", 30,
         "    note: one two three four\n      five six seven eight\n      nine\n"},
        /* Exactly at the width: no break. */
        {"1234567890123456789 12345", 25, "1234567890123456789 12345\n"},
        /* Past it: a break, the spaces at the break dropped. */
        {"1234567890123456789   12345", 25, "1234567890123456789\n  12345\n"},
        /* A word wider than the room stays whole on a line of its own. */
        {"see /a/very/long/path/that/does/not/fit/anywhere here", 20,
         "see\n  /a/very/long/path/that/does/not/fit/anywhere\n  here\n"},
        /* Each line of a multi-line text is wrapped on its own; an empty
         * line stays. */
        {"aaaaaaaaaa bbbbbbbbbb cccc\n\ndddddddddd eeeeeeeeee ffff", 22,
         "aaaaaaaaaa bbbbbbbbbb\n  cccc\n\ndddddddddd eeeeeeeeee\n  ffff\n"},
        /* Trailing spaces go. */
        {"end   ", 80, "end\n"},
        /* Code points, not bytes: 'µ' is one column. */
        {"µµµµµµµµµµ µµµµµµµµµµ", 22, "µµµµµµµµµµ µµµµµµµµµµ\n"},
        /* Colour sequences take no column. */
        {"\033[31mrrrrrrrrrr\033[0m wwwwwwwwwww", 22, "\033[31mrrrrrrrrrr\033[0m wwwwwwwwwww\n"},
        /* width <= 0: nothing is wrapped. */
        {"aaaa bbbb cccc dddd eeee ffff", 0, "aaaa bbbb cccc dddd eeee ffff\n"},
        /* A width too small for the indent leaves at least 20 columns of room. */
        {"      aaaa bbbb cccc dddd eeee", 10, "      aaaa bbbb cccc dddd\n        eeee\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = wrapped(cases[i].text, cases[i].width);
        if (strcmp(got, cases[i].want))
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
        free(got);
    }
}

/* Long text at 80 columns: no line is longer, nothing is lost, every line
 * after the first is a continuation. */
static void test_long_text(void **state)
{
    (void)state;
    char text[4000] = "benchgate: ";
    for (int i = 0; i < 150; i++) {
        char w[16];
        snprintf(w, sizeof w, "w%d ", i * 37 % 1000);
        strcat(text, w);
    }
    char *got = wrapped(text, 80);
    size_t lines = 0;
    char joined[4000] = "";
    for (char *line = got, *end; (end = strchr(line, '\n')); line = end + 1) {
        size_t n = (size_t)(end - line);
        assert_true(n <= 80);
        if (lines)
            assert_true(n > 2 && line[0] == ' ' && line[1] == ' ' && line[2] != ' ');
        strncat(joined, lines ? line + 2 : line, n - (lines ? 2 : 0));
        strcat(joined, " ");
        lines++;
    }
    assert_true(lines > 5);
    assert_string_equal(joined, text);
    free(got);
}

static void test_width_and_printf(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    setenv("COLUMNS", "132", 1);
    assert_int_equal(bg__wrap_width(f), 132);
    setenv("COLUMNS", "junk", 1);
    assert_int_equal(bg__wrap_width(f), 0); /* a file: no wrapping */
    unsetenv("COLUMNS");
    assert_int_equal(bg__wrap_width(f), 0);
    fclose(f);

    /* bg__wrapf past its stack buffer (512 bytes) wraps the whole text. */
    char *buf = NULL;
    size_t len = 0;
    f = open_memstream(&buf, &len);
    char word[700];
    memset(word, 'x', sizeof word - 1);
    word[sizeof word - 1] = '\0';
    bg__wrapf(f, 40, "%s %s %d", "first", word, 42);
    fclose(f);
    assert_int_equal(strncmp(buf, "first\n  ", 8), 0);
    assert_non_null(strstr(buf, "x\n  42\n"));
    assert_int_equal(strlen(buf), strlen("first\n  ") + strlen(word) + strlen("\n  42\n"));
    free(buf);

    /* A composed message (bg__msg_begin/end) is wrapped like bg__wrapf's. */
    buf = NULL;
    f = open_memstream(&buf, &len);
    bg_msgbuf mb;
    FILE *m = bg__msg_begin(&mb, f);
    assert_ptr_not_equal(m, f);
    fputs("alpha beta", m);
    fprintf(m, " gamma %s epsilon\n", "delta");
    bg__msg_end(&mb, f, 22);
    fclose(f);
    assert_string_equal(buf, "alpha beta gamma delta\n  epsilon\n");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_long_text),
        cmocka_unit_test(test_width_and_printf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
