// Placeholder: the tests of the affine scalar oracle against torchao's files go here.
