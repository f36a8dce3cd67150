"""Test-only helper: a headless Chromium for the browser checks (nbs/16_demo.ipynb's `browser` cells, .ci/docs_check.py).

It uses Debian's `chromium` and `chromium-driver` (`apt-get install -y chromium chromium-driver`) and never lets
Selenium download a browser or a driver of its own. Not part of the `smile_nb` package: only tests need Selenium.
"""
import shutil

def headless_chrome(width:int=1280, # window size, in CSS pixels
                    height:int=900):
    "A headless Chromium driven by Selenium, from the system's `chromium` and `chromedriver`; None if either is missing."
    from selenium import webdriver
    binary, driver = shutil.which('chromium') or shutil.which('chromium-browser'), shutil.which('chromedriver')
    if not (binary and driver): return None
    opts = webdriver.ChromeOptions(); opts.binary_location = binary
    for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', f'--window-size={width},{height}'): opts.add_argument(a)
    # the service path is given, so Selenium never tries to download a driver of its own
    return webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=driver))
