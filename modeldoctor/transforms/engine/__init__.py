"""The shared edit machinery of the cures: finding the nodes a run located, editing calls and arguments,
inserting layers, adding imports in the file's own spelling, and one way to decline (`base.Decline`)."""
