/* Scopes: placeholder while the bench binary is tried by hand. */
int main(void) { return 0; }
