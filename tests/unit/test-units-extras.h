/* More unit tests for test-units: usage bars and the stats table, the
 * provisioning progress bar, host lines, command-line settings and
 * customer options as D-Bus values, the console relay. */
#pragma once

void test_units_extras_add (void);
