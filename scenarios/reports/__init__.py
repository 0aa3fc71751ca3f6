"""What a run leaves behind: data files, figures, HTML reports (self-contained, with the CJK font
they need), the standalone hazard maps, and the staged writing of output folders."""
