#include "vmgr-test-client.h"
int main (void) { return 0; }
