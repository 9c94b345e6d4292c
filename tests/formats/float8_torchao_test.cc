// Placeholder: the tests of the float8 scalar oracle against torchao's files go here.
