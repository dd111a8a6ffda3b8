"""CSVLogger: header and one row per epoch, separator, append, missing values."""

import csv

from tinyfit.callbacks import CSVLogger


def read(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_one_row_per_epoch(fake_fit, tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    fake_fit([logger], [{"loss": 0.5, "val_loss": 0.25}, {"loss": 0.125, "val_loss": 0.0625}])
    assert read(path) == [["epoch", "loss", "val_loss"], ["0", "0.5", "0.25"], ["1", "0.125", "0.0625"]]
    assert logger.csv_file.closed


def test_separator_and_append_without_a_second_header(fake_fit, tmp_path):
    path = tmp_path / "log.tsv"
    fake_fit([CSVLogger(str(path), separator="\t")], [{"loss": 1.0, "val_loss": 2.0}])
    fake_fit([CSVLogger(str(path), separator="\t", append=True)], [{"loss": 3.0, "val_loss": 4.0}])
    assert read(path, "\t") == [["epoch", "loss", "val_loss"], ["0", "1.0", "2.0"], ["0", "3.0", "4.0"]]
    fake_fit([CSVLogger(str(path), separator="\t")], [{"loss": 5.0, "val_loss": 6.0}])  # overwrite
    assert read(path, "\t") == [["epoch", "loss", "val_loss"], ["0", "5.0", "6.0"]]


def test_validation_columns_exist_when_the_first_epoch_has_none(fake_fit, tmp_path):
    path = tmp_path / "log.csv"
    fake_fit([CSVLogger(path)], [{"loss": 1.0}, {"loss": 0.5, "val_loss": 0.7}])
    assert read(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "NA"], ["1", "0.5", "0.7"]]


def test_lists_are_written_in_one_cell(fake_fit, tmp_path):
    path = tmp_path / "log.csv"
    fake_fit([CSVLogger(path)], [{"loss": 1.0, "val_loss": 1.0, "per_class": [0.5, 0.25]}])
    assert read(path)[1] == ["0", "1.0", "[0.5, 0.25]", "1.0"]
